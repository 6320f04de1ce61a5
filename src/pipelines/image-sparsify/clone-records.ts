import { readFact } from "../../engine/facts.js";
import { listJournals } from "../../journal/journal-list.js";
import { CLONE_FACTS } from "../../steps/image/facts.js";
import type { RecordedOverlays } from "../../steps/image/replace-original.js";

/**
 * The overlays the image-clone journals in `stateDir` recorded on a disk. Clone journals written before
 * the `overlays` fact existed record none (only their command line, for people), and one that cannot be
 * read is passed over: this adds places to look, the read-only base blocker does not depend on it.
 */
export function cloneRecordsIn(stateDir: string): RecordedOverlays {
  return async (disk) => {
    const paths: string[] = [];
    for (const journal of await listJournals(stateDir)) {
      if (journal.data?.kind !== "image-clone") continue;
      try {
        const recorded = readFact(journal.data.facts, CLONE_FACTS.overlays);
        if (recorded?.base === disk) paths.push(...recorded.paths);
      } catch {
        /* another version's shape: nothing to learn from it here */
      }
    }
    return paths;
  };
}
