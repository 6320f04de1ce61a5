/** Lets a progress update through at most once per interval per key (final updates always pass). */
export class ProgressThrottle {
  private readonly last = new Map<string, number>();
  constructor(
    private readonly intervalMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  admit(key: string, final = false): boolean {
    const t = this.clock();
    const previous = this.last.get(key);
    if (!final && previous !== undefined && t - previous < this.intervalMs) return false;
    this.last.set(key, t);
    return true;
  }
}
