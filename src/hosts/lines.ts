/** Splits a byte stream into lines for ExecOptions callbacks; `\r` ends a line too (rsync progress uses it). */
export class LineSplitter {
  private pending = "";
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const text = this.pending + chunk;
    const parts = text.split(/\r\n|\r|\n/);
    this.pending = parts.pop() ?? "";
    for (const part of parts) this.onLine(part);
  }

  end(): void {
    if (this.pending !== "") this.onLine(this.pending);
    this.pending = "";
  }
}
