import { lstat, readFile, readlink, writeFile, rename, chmod } from "node:fs/promises";
import { execa } from "execa";
import { FileNotFoundError, type ExecOptions, type ExecResult, type FileStat, type Host, type WriteOptions } from "./host.js";
import { LineSplitter } from "./lines.js";

/** This machine, through execa and node:fs. */
export class LocalHost implements Host {
  readonly address = "local";
  constructor(readonly role: string) {}

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const child = execa("/bin/sh", ["-c", command], {
      reject: false,
      timeout: options.timeoutMs,
      cancelSignal: options.signal,
      input: options.stdin,
      stdin: options.stdin === undefined ? "ignore" : undefined,
      stripFinalNewline: false,
      encoding: "utf8",
      forceKillAfterDelay: 2000,
    });
    const out = new LineSplitter((line) => options.onStdout?.(line));
    const err = new LineSplitter((line) => options.onStderr?.(line));
    child.stdout?.on("data", (chunk: Buffer) => out.push(chunk.toString("utf8")));
    child.stderr?.on("data", (chunk: Buffer) => err.push(chunk.toString("utf8")));
    const result = await child;
    out.end();
    err.end();
    return {
      code: typeof result.exitCode === "number" ? result.exitCode : -1,
      stdout: String(result.stdout ?? ""),
      stderr: String(result.stderr ?? ""),
      timedOut: result.timedOut || undefined,
      aborted: result.isCanceled || undefined,
    };
  }

  async readFile(path: string): Promise<string> {
    try {
      return await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new FileNotFoundError(path, this.address);
      throw error;
    }
  }

  async writeFile(path: string, content: string, options: WriteOptions = {}): Promise<void> {
    // temp + rename so a reader never sees half a file
    const temp = `${path}.mudanza-tmp-${process.pid}`;
    await writeFile(temp, content, { mode: options.mode ?? 0o644 });
    if (options.mode !== undefined) await chmod(temp, options.mode);
    await rename(temp, path);
  }

  async stat(path: string): Promise<FileStat | null> {
    try {
      const s = await lstat(path);
      const type = s.isSymbolicLink() ? "symlink" : s.isDirectory() ? "dir" : s.isFile() ? "file" : "other";
      return {
        type,
        mode: s.mode & 0o7777,
        size: s.size,
        uid: s.uid,
        gid: s.gid,
        linkTarget: type === "symlink" ? await readlink(path) : undefined,
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  async reconnect(): Promise<void> {}

  async close(): Promise<void> {}
}
