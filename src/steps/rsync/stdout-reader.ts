import { parseProgress2, type Progress2 } from "./progress.js";

/**
 * rsync's stdout during a pass, read as it arrives (ExecOptions.onStdoutText) without cutting every
 * progress record into a string. `--info=progress2` writes a record ending in "\r" for every file it
 * copies, hundreds of thousands in a big tree, and each supersedes the one before: only the newest complete
 * record is kept, as text, and parsed when someone asks for it (at most a few times a second). Lines
 * ending in "\n" (itemized changes, the --stats block, messages) each reach `onLine`, as before.
 *
 * rsync ends only progress records with a bare "\r", so the records of a chunk before its newest are
 * dropped unread, which is the point. The newest one reaches `onLine` instead when it does not start like
 * progress (digits after the padding) or does not parse.
 */
export class RsyncStdoutReader {
  /** Text after the last "\r" or "\n" seen: a record or line cut between chunks. */
  private pending = "";
  /** The newest complete progress record, not yet parsed. */
  private latest: string | null = null;

  constructor(private readonly onLine: (line: string) => void) {}

  push(text: string): void {
    const whole = this.pending === "" ? text : this.pending + text;
    let start = 0;
    for (let nl = whole.indexOf("\n"); nl !== -1; nl = whole.indexOf("\n", start)) {
      // "...\r\n" ends a line like "\n" does (rsync writes "\n" after a progress record before a message).
      const end = nl > start && whole.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
      const cr = end > start ? whole.lastIndexOf("\r", end - 1) : -1;
      let lineStart = start;
      if (cr >= start) {
        this.keepNewestRecord(whole, start, cr);
        lineStart = cr + 1;
      }
      if (end > lineStart) this.line(whole.slice(lineStart, end));
      start = nl + 1;
    }
    const cr = whole.lastIndexOf("\r");
    if (cr >= start) {
      this.keepNewestRecord(whole, start, cr);
      start = cr + 1;
    }
    this.pending = start === 0 ? whole : whole.slice(start);
  }

  /** The output ended: what is left without a line end is a last record or line. */
  end(): void {
    const rest = this.pending;
    this.pending = "";
    if (rest.trim() !== "") this.line(rest);
  }

  /**
   * The newest progress record since the last call, parsed; null when none came. A record that looked like
   * progress but does not parse reaches `onLine` instead.
   */
  takeProgress(): Progress2 | null {
    const record = this.latest;
    if (record === null) return null;
    this.latest = null;
    const progress = parseProgress2(record);
    if (!progress) this.onLine(record);
    return progress;
  }

  /** A progress record ended by "\n" (an older rsync's last one) is progress too; the rest are lines. */
  private line(text: string): void {
    if (startsLikeProgress(text, 0, text.length)) this.latest = text;
    else this.onLine(text);
  }

  /** Records end at each "\r" in whole[start, lastCr]: keep the last non-empty one. */
  private keepNewestRecord(whole: string, start: number, lastCr: number): void {
    let end = lastCr;
    while (end >= start) {
      const previous = end > start ? whole.lastIndexOf("\r", end - 1) : -1;
      const recordStart = previous >= start ? previous + 1 : start;
      if (!isBlank(whole, recordStart, end)) {
        if (startsLikeProgress(whole, recordStart, end)) this.latest = whole.slice(recordStart, end);
        else this.onLine(whole.slice(recordStart, end));
        return;
      }
      if (previous < start) return;
      end = previous;
    }
  }
}

const CR = 13;
const SPACE = 32;

function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (text.charCodeAt(i) !== SPACE) return false;
  return true;
}

/** A progress2 record: right-aligned digits first ("      1,234,567  12% ..."). */
function startsLikeProgress(text: string, start: number, end: number): boolean {
  let i = start;
  while (i < end && text.charCodeAt(i) === SPACE) i++;
  const c = text.charCodeAt(i);
  return i < end && c >= 48 && c <= 57;
}
