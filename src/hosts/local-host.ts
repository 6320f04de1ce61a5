import { lstat, readFile, readlink, writeFile, rename, chmod } from "node:fs/promises";
import { spawn } from "node:child_process";
import { forgetChild, rememberChild } from "./child-records.js";
import {
  FileNotFoundError,
  stdinText,
  type ExecOptions,
  type ExecResult,
  type FileStat,
  type Host,
  type WriteOptions,
} from "./host.js";
import { readInBatches } from "./batched-reads.js";
import { DecodedOutput } from "./lines.js";
import { GROUP_KILL_GRACE_MS, liveGroupMembers, signalGroup, trackGroup, untrackGroup } from "./process-group.js";
import { SilenceWatchdog } from "./watchdog.js";

/** This machine, through execa and node:fs. */
export class LocalHost implements Host {
  readonly address = "local";
  constructor(readonly role: string) {}

  /**
   * Runs `/bin/sh -c command` as the leader of a new process group. Timeout, abort and the silence
   * watchdog stop the whole group (TERM, then KILL after a grace), so nothing the command started
   * survives it; process-group.ts stops groups still running when this process exits.
   */
  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (options.signal?.aborted) return Promise.resolve({ code: -1, stdout: "", stderr: "", aborted: true });
    return new Promise((resolve, reject) => {
      const child = spawn("/bin/sh", ["-c", command], {
        detached: true,
        stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      });
      const pgid = child.pid;
      if (pgid === undefined) {
        child.once("error", reject); // spawn failed; the error event says why
        return;
      }
      trackGroup(pgid, command, () => forgetChild(pgid));
      rememberChild(pgid, command);
      let stoppedBy: "timeout" | "abort" | "silence" | null = null;
      let silentMs: number | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      let stoppedAt = 0;
      // What the command has written must not wait out a batch once it exits or is being stopped.
      const flushStdout =
        options.stdoutBatchMs === undefined ? () => {} : readInBatches(child.stdout!, options.stdoutBatchMs);
      child.once("exit", flushStdout);
      const stop = (why: "timeout" | "abort" | "silence"): void => {
        flushStdout();
        if (stoppedBy) return;
        stoppedBy = why;
        stoppedAt = Date.now();
        signalGroup(pgid, "SIGTERM");
        killTimer = setTimeout(() => signalGroup(pgid, "SIGKILL"), GROUP_KILL_GRACE_MS);
      };
      const watchdog = new SilenceWatchdog(
        options.silenceTimeoutMs,
        (ms) => {
          silentMs = ms;
          stop("silence");
        },
        options.stillBusy,
      );
      const timeout =
        options.timeoutMs === undefined ? undefined : setTimeout(() => stop("timeout"), options.timeoutMs);
      const onAbort = (): void => stop("abort");
      options.signal?.addEventListener("abort", onAbort, { once: true });

      const stdout = new DecodedOutput(options.onStdout, options.stdoutTailChars, options.onStdoutText);
      const stderr = new DecodedOutput(options.onStderr);
      // every chunk on either stream is a sign of life for the silence watchdog
      child.stdout!.on("data", (chunk: Buffer) => {
        watchdog.heard();
        stdout.push(chunk);
      });
      child.stderr!.on("data", (chunk: Buffer) => {
        watchdog.heard();
        stderr.push(chunk);
      });
      if (child.stdin) {
        child.stdin.on("error", () => undefined); // a command that does not read its stdin closes it early
        const stdin = child.stdin;
        void stdinText(options.stdin ?? "").then((text) => {
          if (!stdin.destroyed) stdin.end(text);
        });
      }
      child.once("error", (error) => {
        finish();
        reject(error);
      });
      child.once("close", (code) => {
        // A stopped command returns only once its whole group is gone: what got TERM may still be exiting
        // when the shell's pipes close, and what ignored it gets KILL at the end of the grace.
        const settled = stoppedBy ? untilGroupGone(pgid, stoppedAt + GROUP_KILL_GRACE_MS) : Promise.resolve();
        void settled.then(() => {
          finish();
          resolve({
            code: stoppedBy || typeof code !== "number" ? -1 : code,
            stdout: stdout.finish(),
            stderr: stderr.finish(),
            timedOut: stoppedBy === "timeout" || undefined,
            aborted: stoppedBy === "abort" || undefined,
            silentMs: stoppedBy === "silence" ? silentMs : undefined,
          });
        });
      });
      function finish(): void {
        watchdog.stop();
        clearTimeout(timeout);
        clearTimeout(killTimer);
        options.signal?.removeEventListener("abort", onAbort);
        untrackGroup(pgid!);
      }
    });
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

/** Waits until no member of the group is alive; KILLs what is left once `killAt` has passed. */
async function untilGroupGone(pgid: number, killAt: number): Promise<void> {
  let killed = false;
  while (liveGroupMembers(pgid).length > 0) {
    if (!killed && Date.now() >= killAt) {
      signalGroup(pgid, "SIGKILL");
      killed = true;
    }
    if (killed && Date.now() >= killAt + GROUP_KILL_GRACE_MS) return; // unkillable (D state): give up waiting
    await new Promise((r) => setTimeout(r, 20));
  }
}
