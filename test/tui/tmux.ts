import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * A real terminal for tests: a private tmux server (its own -L socket, no user config) with one 80x24
 * pane running a command. send-keys types like a user; capture-pane reads the screen as it is drawn.
 */
export class TmuxSession {
  readonly socket = `mudanza-test-${process.pid}-${randomBytes(4).toString("hex")}`;
  private started = false;
  private socketPath: string | undefined;

  private tmux(...args: string[]) {
    return run("tmux", ["-L", this.socket, "-f", "/dev/null", ...args], { timeout: 10_000 });
  }

  /** Starts `command` (a shell string); the pane stays open after it ends so the last screen can be read. */
  async start(command: string, options: { columns?: number; rows?: number } = {}): Promise<void> {
    // `[exit N]` marks the end with the exit code, without a newline: on the last row a newline would
    // scroll the app's final frame up one row. `sleep` keeps the pane for capture.
    const wrapped = `${command}; printf '[exit %d]' $?; sleep 600`;
    await this.tmux(
      "new-session",
      "-d",
      "-s",
      "t",
      "-x",
      String(options.columns ?? 80),
      "-y",
      String(options.rows ?? 24),
      wrapped,
    );
    this.started = true;
    this.socketPath = (await this.tmux("display-message", "-p", "-t", "t", "#{socket_path}")).stdout.trim();
  }

  /** The visible screen, one string per row (trailing blanks trimmed); with escapes when asked. */
  async screen(escapes = false): Promise<string> {
    const { stdout } = await this.tmux("capture-pane", "-p", ...(escapes ? ["-e"] : []), "-t", "t");
    return stdout;
  }

  /** Everything the pane printed, scrolled-off lines included (tmux keeps 2000 by default). */
  async history(): Promise<string> {
    const { stdout } = await this.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "t");
    return stdout;
  }

  async keys(...keys: string[]): Promise<void> {
    await this.tmux("send-keys", "-t", "t", ...keys);
  }

  /** Polls the screen until `test` holds; fails with the last screen so a failure shows what was there. */
  async waitFor(test: (screen: string) => boolean, what: string, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      last = await this.screen();
      if (test(last)) return last;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what}; the screen was:\n${last}`);
  }

  async kill(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.tmux("kill-server").catch(() => undefined);
    // tmux leaves the socket file behind when its server is killed.
    if (this.socketPath) await rm(this.socketPath, { force: true });
  }
}

export const exitCodeOn = (screen: string): number | undefined => {
  const m = /\[exit (\d+)\]/.exec(screen);
  return m ? Number(m[1]) : undefined;
};
