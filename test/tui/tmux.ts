import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * For a test that drives a terminal: above the waits it makes (90 s each by default), so a slow machine
 * fails, if ever, with waitFor's screen, never with vitest's bare "timed out". Nothing here is a speed check.
 */
export const TERMINAL_TEST_TIMEOUT = 300_000;

/**
 * A real terminal for tests: a private tmux server (its own -L socket, no user config) with one 80x24
 * pane running a command. send-keys types like a user; capture-pane reads the screen as it is drawn.
 */
export class TmuxSession {
  readonly socket = `mudanza-test-${process.pid}-${randomBytes(4).toString("hex")}`;
  private started = false;
  private socketPath: string | undefined;

  private tmux(...args: string[]) {
    // TMUX_TMPDIR: the server's socket folder under the test run's TMPDIR, not /tmp/tmux-UID.
    return run("tmux", ["-L", this.socket, "-f", "/dev/null", ...args], {
      timeout: 10_000,
      env: { ...process.env, TMUX_TMPDIR: tmpdir() },
    });
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

  /**
   * Polls the screen until `test` holds. Fails with the pane's whole history, so a failure shows what was
   * there: at once when the command has ended (its screen cannot change any more), else after `timeoutMs`,
   * which stays below TERMINAL_TEST_TIMEOUT so the failure is this message and not a bare test timeout.
   */
  async waitFor(test: (screen: string) => boolean, what: string, timeoutMs = 90_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      last = await this.screen();
      if (test(last)) return last;
      if (exitCodeOn(last) !== undefined) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const why = exitCodeOn(last) !== undefined ? "the command ended" : `nothing after ${timeoutMs / 1000} s`;
    const history = await this.history().catch((error: Error) => `(no history: ${error.message})`);
    throw new Error(`waiting for ${what}: ${why}; the pane printed:\n${history}`);
  }

  async kill(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.tmux("kill-server").catch(() => undefined);
    // tmux leaves the socket file behind when its server is killed.
    if (this.socketPath) await rm(this.socketPath, { force: true });
  }
}

/**
 * The `[exit N]` marker's code. The marker follows the app's last line without a newline, so a long last
 * line (a path in a deeper checkout) wraps it over two rows of the screen, its space trimmed at a row's end.
 */
export const exitCodeOn = (screen: string): number | undefined => {
  const m = /\[exit ?(\d+)\]/.exec(screen.replace(/\n/g, ""));
  return m ? Number(m[1]) : undefined;
};
