import { appendFile, open } from "node:fs/promises";

/**
 * Appends lines to a run log (`<id>.log.ndjson`), each batch starting on a line of its own: after a write cut
 * short (a full state dir, a kill) the log ends mid-line, and the next line appended there would be glued to
 * that torn piece and lost with it (found by a new-user trial: the next run's first event was).
 */
export function runLogAppender(path: string): (lines: string[]) => Promise<void> {
  let atLineStart: boolean | undefined;
  return async (lines) => {
    if (lines.length === 0) return;
    atLineStart ??= await endsAtLineStart(path);
    const text = `${atLineStart ? "" : "\n"}${lines.join("\n")}\n`;
    // Until this append is known whole, the log may end mid-line.
    atLineStart = false;
    await appendFile(path, text, { mode: 0o600 });
    atLineStart = true;
  };
}

/** Whether the file is missing, empty, or ends with a newline. */
async function endsAtLineStart(path: string): Promise<boolean> {
  const handle = await open(path, "r").catch(() => undefined);
  if (!handle) return true;
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    await handle.close();
  }
}
