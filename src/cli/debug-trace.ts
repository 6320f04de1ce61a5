import { createWriteStream } from "node:fs";
import { forTerminal } from "../errors.js";

export interface DebugTrace {
  /** Where the lines go when not on stderr. */
  path: string | null;
  line(text: string): void;
  close(): Promise<void>;
}

/** --debug lines, each stamped with the time: on stderr, or appended to `path` (0600) when the TUI owns the terminal. */
export async function openDebugTrace(path: string | null): Promise<DebugTrace> {
  const stamp = (text: string): string => `debug ${new Date().toISOString().slice(11, 23)} ${forTerminal(text)}\n`;
  if (path === null)
    return { path, line: (text) => void process.stderr.write(stamp(text)), close: async () => undefined };
  const file = createWriteStream(path, { flags: "a", mode: 0o600 });
  await new Promise<void>((resolve, reject) => file.once("open", () => resolve()).once("error", reject));
  return {
    path,
    line: (text) => void file.write(stamp(text)),
    close: () => new Promise<void>((resolve) => file.end(resolve)),
  };
}
