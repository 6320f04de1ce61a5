import { listJournals } from "../../journal/journal-list.js";
import { lockHeld } from "../../journal/lock-state.js";
import { renderRuns, runRow, runsDocument } from "../../report/runs-list.js";
import { stateDirToRead } from "../state-dir.js";

/** The table `mudanza runs` and a bare `mudanza status` print, or with json the same runs as one JSON document. */
export async function runsTable(stateDirFlag: string | undefined, format: "text" | "json" = "text"): Promise<string> {
  const stateDir = stateDirToRead(stateDirFlag);
  const entries = await listJournals(stateDir);
  const rows = entries.map((e) => runRow(e, lockHeld(e.path)));
  return format === "json" ? JSON.stringify(runsDocument(rows, stateDir), null, 2) : renderRuns(rows, stateDir);
}
