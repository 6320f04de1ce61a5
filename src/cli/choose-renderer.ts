import type { RunMode } from "../engine/runner.js";
import type { Renderer } from "../render/renderer.js";

export interface RendererChoice {
  mode: RunMode;
  json?: boolean;
  dryRun?: boolean;
  /** -v: the dry-run face says a line per step. */
  verbose?: boolean;
  /** The command prints its own report of a dry run's checks, blockers included (host doctor). */
  reportListsBlockers?: boolean;
  /** The TUI's q / Ctrl-C stops the run through this; `key` (q, Ctrl-C) is for the message. */
  abort: (signal: "SIGINT" | "SIGTERM", key?: string) => void;
}

/** How long a dry run on a terminal may say nothing before it says it is still checking. */
const STILL_CHECKING_EVERY_MS = 10_000;

export type RendererKind = "ndjson" | "quiet" | "tui" | "listr" | "lines";

/**
 * TERM=dumb, or no TERM at all: unset or empty usually means a terminal nobody named (ssh -t from automation,
 * su -c on a serial console), where a full-screen redraw turns into a flood (new-user trial, finding 11).
 */
export const terminalCannotDraw = (env: NodeJS.ProcessEnv): boolean =>
  env.TERM === undefined || env.TERM === "" || env.TERM === "dumb";

/**
 * Which face for which run: --json → NDJSON on stdout; --dry-run → a quiet line per step on stderr
 * (the report goes to stdout); a terminal → the Ink TUI (it asks at gates; with --yes it only shows);
 * otherwise (--yes in CI, logs, pipes) → listr2 plain lines; a terminal that cannot draw (TERM=dumb, unset
 * or empty) gets those plain lines too, and asks at gates with a plain question line.
 */
export function pickRenderer(
  choice: Pick<RendererChoice, "mode" | "json" | "dryRun">,
  env: NodeJS.ProcessEnv = process.env,
  stdoutIsTTY = Boolean(process.stdout.isTTY),
): RendererKind {
  if (choice.json) return "ndjson";
  if (choice.dryRun || choice.mode === "dry-run") return "quiet";
  if (choice.mode === "interactive") return terminalCannotDraw(env) ? "lines" : "tui";
  const ci = env.CI !== undefined && env.CI !== "" && env.CI !== "false" && env.CI !== "0";
  return stdoutIsTTY && !ci && !terminalCannotDraw(env) ? "tui" : "listr";
}

/** Heavy renderers (Ink, React, listr2) are imported only when chosen. */
export async function createRenderer(choice: RendererChoice): Promise<Renderer> {
  switch (pickRenderer(choice)) {
    case "ndjson":
      return (await import("../render/ndjson.js")).createNdjsonRenderer();
    case "quiet":
      return (await import("../render/quiet.js")).createQuietRenderer(process.stderr, {
        verbose: choice.verbose,
        reportListsBlockers: choice.reportListsBlockers,
        // Only where someone watches: a log or a pipe gets no lines that depend on the machine's speed.
        stillCheckingEveryMs: process.stderr.isTTY ? STILL_CHECKING_EVERY_MS : undefined,
      });
    case "tui":
      return (await import("../tui/ink-renderer.js")).createInkRenderer({ abort: choice.abort });
    case "listr":
      return (await import("../render/listr.js")).createListrRenderer(process.stdout);
    case "lines": {
      const { withLineConfirm } = await import("../render/line-confirm.js");
      return withLineConfirm(
        (await import("../render/listr.js")).createListrRenderer(process.stdout),
        process.stdin,
        process.stdout,
      );
    }
  }
}
