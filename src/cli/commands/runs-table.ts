import { listJournals, type JournalEntry } from "../../journal/journal-list.js";
import { lockHeld } from "../../journal/lock-state.js";
import { readLogEvents } from "../../report/log-events.js";
import { unansweredGateOf } from "../../report/run-summary.js";
import { runEntry, runsDocument } from "../../report/runs-document.js";
import { renderRuns, runRow } from "../../report/runs-list.js";
import { stateDirToRead } from "../state-dir.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { shellQuote } from "../../hosts/quote.js";
import { nameForTerminal } from "../../errors.js";

/** The table `mudanza runs` and a bare `mudanza status` print, or with json the same runs as one JSON document. */
export async function runsTable(stateDirFlag: string | undefined, format: "text" | "json" = "text"): Promise<string> {
  const stateDir = stateDirToRead(stateDirFlag);
  const entries = await listJournals(stateDir);
  const read = await Promise.all(
    entries.map(async (entry) => ({ entry, lockHeld: lockHeld(entry.path), gate: await gateAsked(entry) })),
  );
  if (format === "json") {
    const runs = read.map((r) => runEntry(r.entry, r.lockHeld, r.gate));
    return JSON.stringify(runsDocument(runs, stateDir), null, 2);
  }
  const table = renderRuns(
    read.map((r) => runRow(r.entry, r.lockHeld, r.gate)),
    stateDir,
  );
  return entries.length === 0 ? table + (await stateDirBelow(stateDir)) : table;
}

/**
 * An empty state dir whose `mudanza` folder holds runs: --state-dir was given what XDG_STATE_HOME names (the
 * folder above the state dir), found by a new-user trial: "No runs yet" beside 80 runs, with no hint.
 */
async function stateDirBelow(stateDir: string): Promise<string> {
  const below = join(stateDir, "mudanza");
  if (!existsSync(below) || (await listJournals(below)).length === 0) return "";
  return `\n${nameForTerminal(below)} holds runs: --state-dir names the state dir itself, XDG_STATE_HOME the folder above it (--state-dir ${shellQuote(below)})`;
}

/**
 * The step whose gate a run without an outcome asked at and got no answer, as `status` reads it from the run's
 * log: the journal has that step "running" although nothing of it ran. Only such runs' logs are read.
 */
async function gateAsked(entry: JournalEntry): Promise<string | undefined> {
  const lastRun = entry.data?.runs.at(-1);
  if (!lastRun || lastRun.outcome) return undefined;
  const events = await readLogEvents(entry.path.replace(/\.journal\.json$/, ".log.ndjson"));
  return unansweredGateOf(events)?.stepId;
}
