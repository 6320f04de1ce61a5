/**
 * Fires once when a command has been silent (no output, no progress) for `silenceMs`: the stand-in for
 * "stuck", since a hung guest or tool burns CPU just like a working one. Every output chunk resets it;
 * so does `stillBusy` answering true when the window ends (progress the command does not print, such as
 * a file it writes growing).
 */
export class SilenceWatchdog {
  private timer: NodeJS.Timeout | null = null;
  // The monotonic clock the timers run on: a window measured with Date.now() could end at 1999 ms of 2000.
  private lastHeard = performance.now();
  private fired = false;
  private stopped = false;

  constructor(
    private readonly silenceMs: number | undefined,
    private readonly onSilence: (silentMs: number) => void,
    private readonly stillBusy?: () => Promise<boolean>,
  ) {
    this.arm();
  }

  /** The command said something: it is alive. */
  heard(): void {
    if (this.fired || this.silenceMs === undefined) return;
    this.lastHeard = performance.now();
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    if (this.silenceMs === undefined || this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.windowEnded(), this.silenceMs);
  }

  private async windowEnded(): Promise<void> {
    this.timer = null;
    // A timer may fire a little early: the silence must be whole before it counts (a slow-CI test saw 1999 ms).
    const early = this.silenceMs! - (performance.now() - this.lastHeard);
    if (early > 0) {
      this.timer = setTimeout(() => void this.windowEnded(), Math.ceil(early));
      return;
    }
    const busy = this.stillBusy ? await this.stillBusy().catch(() => false) : false;
    if (this.stopped || this.timer) return; // the command ended, or spoke, meanwhile
    if (busy) {
      this.arm();
      return;
    }
    this.fired = true;
    this.onSilence(Math.floor(performance.now() - this.lastHeard));
  }
}

/** "12 s", "4 min 10 s": how long a command was silent, for error messages. */
export function formatSilence(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return seconds % 60 ? `${minutes} min ${seconds % 60} s` : `${minutes} min`;
}

/** Environment override of every silence limit, in seconds, for machines slower than the defaults assume. */
export const SILENCE_LIMIT_ENV = "MUDANZA_SILENCE_LIMIT_S";

/** The silence limit for a command: `defaultMs`, unless MUDANZA_SILENCE_LIMIT_S sets another. */
export function silenceLimitMs(defaultMs: number, env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env[SILENCE_LIMIT_ENV]);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : defaultMs;
}
