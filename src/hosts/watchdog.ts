/**
 * Fires once when a command has been silent (no output, no progress) for `silenceMs`: the stand-in for
 * "stuck", since a hung guest or tool burns CPU just like a working one. Every output chunk resets it.
 */
export class SilenceWatchdog {
  private timer: NodeJS.Timeout | null = null;
  private lastHeard = Date.now();
  private fired = false;

  constructor(private readonly silenceMs: number | undefined, private readonly onSilence: (silentMs: number) => void) {
    this.arm();
  }

  /** The command said something: it is alive. */
  heard(): void {
    if (this.fired || this.silenceMs === undefined) return;
    this.lastHeard = Date.now();
    this.arm();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    if (this.silenceMs === undefined) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fired = true;
      this.timer = null;
      this.onSilence(Date.now() - this.lastHeard);
    }, this.silenceMs);
  }
}

/** "12 s", "4 min 10 s": how long a command was silent, for error messages. */
export function formatSilence(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return seconds % 60 ? `${minutes} min ${seconds % 60} s` : `${minutes} min`;
}
