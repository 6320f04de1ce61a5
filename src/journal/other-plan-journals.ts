import { existsSync } from "node:fs";
import { shellQuote } from "../hosts/quote.js";
import { listJournals } from "./journal-list.js";
import { pathKeyedStem } from "./journal-names.js";
import { unfinishedBecause } from "./unfinished.js";

/** A journal of the same migration that a plan file at another path ran with. */
export interface OtherPlanJournal {
  /** The run ID `mudanza status` and `mudanza runs` take. */
  id: string;
  planPath: string;
  /** False once that plan file is gone: the plan was moved (or renamed) since. */
  planThere: boolean;
  /** What that run left to undo (a database it stopped): a new journal elsewhere would never run them. */
  pendingCompensations: string[];
  /** Why that migration is under way (a step ran and it is not finished), or undefined. */
  underWay?: string;
  /** When that migration cut over (its VM became production, the source stayed stopped), if it did. */
  cutoverAt?: string;
}

/**
 * The journals of migration `migrationId` kept for plan files other than `planPath`. Journals are keyed by
 * the plan's path, so a plan that was moved finds none of its own: these are what it ran as before.
 * A rollback's own journal (`ID.rollback`) and the like are not the migration's and are left out.
 */
export async function journalsOfOtherPlanFiles(
  stateDir: string,
  migrationId: string,
  planPath: string,
): Promise<OtherPlanJournal[]> {
  return (await listJournals(stateDir)).flatMap((entry) => {
    const data = entry.data;
    if (!data || data.migrationId !== migrationId || data.planPath === planPath) return [];
    const own = entry.stem === migrationId || entry.stem === pathKeyedStem(migrationId, data.planPath);
    const pendingCompensations = data.compensations.map((c) => `"${c.title}" on ${c.host}`);
    const started = Object.values(data.steps).some((s) => s.status !== "pending" && s.status !== "skipped");
    const unfinished = started ? unfinishedBecause(data) : undefined;
    const cutoverAt = cutoverAtOf(data.facts["databases"]);
    return own
      ? [
          {
            id: entry.stem,
            planPath: data.planPath,
            planThere: existsSync(data.planPath),
            pendingCompensations,
            ...(unfinished ? { underWay: unfinished } : {}),
            ...(cutoverAt ? { cutoverAt } : {}),
          },
        ]
      : [];
  });
}

/** db-freeze's databases fact records when a cutover finished (openvz-to-kvm/facts.ts). */
function cutoverAtOf(fact: unknown): string | undefined {
  const at = fact && typeof fact === "object" ? (fact as { cutoverAt?: unknown }).cutoverAt : undefined;
  return typeof at === "string" ? at : undefined;
}

/**
 * Why a plan file found no journal though its migration has some, each named by its ID and plan path,
 * and how to go on: move the plan back (when that file is gone) or use the plan file the run was made with.
 */
export function otherPlanFilesText(migrationId: string, planPath: string, others: OtherPlanJournal[]): string {
  const listed = others.map((o) => `${o.id} (plan ${o.planPath}${o.planThere ? "" : ", no longer there"})`).join("; ");
  const moved = others.filter((o) => !o.planThere);
  const fix =
    moved.length === 1
      ? `if this plan file was moved from there, move it back (mv ${shellQuote(planPath)} ${shellQuote(moved[0]!.planPath)}) and run the command again with that path`
      : "give the plan file the run was made with (move this one back if it was moved from there)";
  return (
    `migration "${migrationId}" has no journal for the plan file ${planPath}, but has ${others.length === 1 ? "one" : others.length} ` +
    `for another plan file: ${listed}. Journals are kept per plan file path: ${fix}. \`mudanza status ${others[0]!.id}\` shows ${others.length === 1 ? "that run" : "the first"} as it stands`
  );
}
