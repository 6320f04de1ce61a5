import { listJournals } from "../../journal/journal-list.js";
import { lockHeld } from "../../journal/lock-state.js";
import { renderRuns, runRow } from "../../report/runs-list.js";
import { stateDirToRead } from "../state-dir.js";

/** The table `mudanza runs` and a bare `mudanza status` print. */
export async function runsTable(stateDirFlag: string | undefined): Promise<string> {
  const stateDir = stateDirToRead(stateDirFlag);
  const entries = await listJournals(stateDir);
  const rows = await Promise.all(entries.map(async (e) => runRow(e, await lockHeld(e.path))));
  return renderRuns(rows, stateDir);
}
