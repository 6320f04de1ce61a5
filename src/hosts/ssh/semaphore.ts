/** Counts concurrent users of a scarce resource (ssh sessions per connection) and queues the rest. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  async use<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next)
        next(); // hand our slot over directly
      else this.active -= 1;
    }
  }

  get inUse(): number {
    return this.active;
  }
}
