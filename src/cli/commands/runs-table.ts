import { listJournals, type JournalEntry } from "../../journal/journal-list.js";
import { lockHeld } from "../../journal/lock-state.js";
import { readLogEvents } from "../../report/log-events.js";
import { unansweredGateOf } from "../../report/run-summary.js";
import { runEntry, runsDocument } from "../../report/runs-document.js";
import { renderRuns, runRow } from "../../report/runs-list.js";
import { stateDirToRead } from "../state-dir.js";

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
  return renderRuns(
    read.map((r) => runRow(r.entry, r.lockHeld, r.gate)),
    stateDir,
  );
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
