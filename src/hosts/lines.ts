import { StringDecoder } from "node:string_decoder";

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

/**
 * The text of an output stream as ExecResult returns it: all of it, or with `tailChars` only its last
 * characters from a line start (what a long copy needs: rsync's --stats block, not a million progress lines).
 */
export class KeptText {
  private text = "";
  constructor(private readonly tailChars?: number) {}

  add(piece: string): void {
    this.text += piece;
    // Trimmed in batches, so the copying stays proportional to the output.
    if (this.tailChars !== undefined && this.text.length > 2 * this.tailChars + 4096)
      this.text = tailFrom(this.text, this.tailChars);
  }

  get value(): string {
    return this.tailChars === undefined ? this.text : tailFrom(this.text, this.tailChars);
  }
}

/** The last `chars` characters of `text`, from the first line start among them. */
export function tailFrom(text: string, chars: number): string {
  if (text.length <= chars) return text;
  const cut = text.slice(text.length - chars);
  const lineStart = cut.search(/[\r\n]/);
  return lineStart < 0 ? cut : cut.slice(lineStart + 1);
}

/**
 * One output stream of a command: UTF-8 decoding that survives multi-byte characters split across chunks, the
 * text kept (whole, or its tail), and the line and text callbacks. Lines are split only for a line callback:
 * rsync's progress alone is thousands of lines a second. Shared by LocalHost and the ssh channel.
 */
export class DecodedOutput {
  private readonly decoder = new StringDecoder("utf8");
  private readonly lines: LineSplitter | null;
  private readonly text: KeptText;
  constructor(
    onLine: ((line: string) => void) | undefined,
    tailChars?: number,
    private readonly onText?: (text: string) => void,
  ) {
    this.lines = onLine ? new LineSplitter(onLine) : null;
    this.text = new KeptText(tailChars);
  }
  push(chunk: Buffer): void {
    this.take(this.decoder.write(chunk));
  }
  finish(): string {
    this.take(this.decoder.end());
    this.lines?.end();
    return this.text.value;
  }
  private take(piece: string): void {
    if (piece === "") return;
    this.text.add(piece);
    this.lines?.push(piece);
    this.onText?.(piece);
  }
}
