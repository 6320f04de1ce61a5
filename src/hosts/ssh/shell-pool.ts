import type { ShellOutput, ShellSession } from "./shell-session.js";

/** A kept shell and the exec tag that stops it and whatever it runs. */
export interface KeptShell {
  session: ShellSession;
  tag: string;
}

/**
 * The dry run's kept shells on one connection: up to `size`, all opened by the first batch (so the second is
 * ready when two batches are out at once), each batch sent to the alive shell with the fewest scripts waiting.
 * On the lab's TCG VM a batch's commands take ~60 ms each on one emulated CPU: two shells use both. A shell
 * that could not be opened is not tried again; with none alive, `send` answers undefined (the caller runs the
 * batch on a session of its own).
 */
export class ShellPool {
  private readonly opened: KeptShell[] = [];
  private readonly opening = new Set<Promise<KeptShell | undefined>>();
  private attempts = 0;
  private closed = false;

  constructor(
    private readonly open: () => Promise<KeptShell | undefined>,
    readonly size: number,
  ) {}

  /**
   * Sends `script` to the least busy shell; undefined when no shell is alive and none is still opening.
   * Choosing and sending happen in one go, so batches sent in the same turn spread over the shells.
   */
  async send(script: string): Promise<{ shell: KeptShell; answer: Promise<ShellOutput> } | undefined> {
    while (!this.closed && this.attempts < this.size) this.startOpening();
    for (;;) {
      const alive = this.opened.filter((shell) => shell.session.alive);
      if (alive.length > 0) {
        const shell = alive.reduce((best, next) => (next.session.waiting < best.session.waiting ? next : best));
        return { shell, answer: shell.session.run(script) };
      }
      if (this.opening.size === 0) return undefined;
      await Promise.race(this.opening);
    }
  }

  /** Closes every shell, those still opening as soon as they open; `send` answers undefined from now on. */
  close(): void {
    this.closed = true;
    for (const shell of this.opened.splice(0)) shell.session.close();
    for (const pending of this.opening) void pending.then((shell) => shell?.session.close());
  }

  private startOpening(): void {
    this.attempts++;
    const pending: Promise<KeptShell | undefined> = this.open()
      .catch(() => undefined)
      .then((shell) => {
        this.opening.delete(pending);
        if (shell && !this.closed) this.opened.push(shell);
        return shell;
      });
    this.opening.add(pending);
  }
}
