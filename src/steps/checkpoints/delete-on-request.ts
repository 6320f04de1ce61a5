import { checkpointHostRole } from "../../checkpoints/index.js";
import { blocker, warning, type Finding } from "../../engine/finding.js";
import { defineStep, verifyResult, writeFileCommand, type PlannedCommand, type Step } from "../../engine/step.js";
import type { Journal } from "../../journal/journal.js";
import type { OvzPlan } from "../openvz-to-kvm/plan.js";
import { liveCheckpoints, markedDeleted, takenCheckpoints } from "../rollback/context.js";
import { notOwnWarning, ownershipOf, recordedHere, recordedNotListed } from "./ownership.js";
import { backendOf, configFor, type CheckpointSide } from "./sides.js";
import { rolledBackBy, unfinishedBecause } from "../../journal/unfinished.js";

/** What `mudanza checkpoints PLAN --delete` works with: the migration's journal and the admin's consent. */
export interface DeleteRequest {
  /** The migration's journal: locked for the deletion, read-only in a dry run; absent from disk when it never ran here. */
  migration: Journal;
  /** The journal file exists: without it nothing tells whether a rollback may still be needed. */
  journalFound: boolean;
  /** --even-if-unfinished: delete though the journal says the migration is not finished. */
  evenIfUnfinished: boolean;
  /** The plan file (and --state-dir) as the user gave them, quoted: the commands a message offers take them. */
  planArgs: string;
}

export interface RequestedDeletion {
  remove: Array<{ side: CheckpointSide; name: string; label: string; commands: PlannedCommand[] }>;
  /** Checkpoints the journal still offers that their backend no longer lists: only the journal changes. */
  forget: Array<{ side: CheckpointSide; name: string }>;
  /** Every checkpoint the run marks deleted in the migration's journal (those of `remove` it recorded, and `forget`). */
  marks: Array<{ side: CheckpointSide; name: string }>;
}

const SIDES: CheckpointSide[] = ["target", "source"];

/**
 * The migration's checkpoints deleted on the admin's request, behind a gate, and the deletion journaled in the
 * migration's journal (each checkpoint kept with its deletedAt), so `rollback` no longer offers them.
 */
export function deleteOnRequest(request: DeleteRequest): Step<OvzPlan, RequestedDeletion> {
  const markInJournal = (deleted: Array<{ side: CheckpointSide; name: string }>): Promise<void> =>
    request.migration.setFact(
      "checkpoints",
      markedDeleted(takenCheckpoints(request.migration.snapshot.facts), deleted),
    );
  const step: Step<OvzPlan, RequestedDeletion> = defineStep<OvzPlan, RequestedDeletion>({
    id: "delete-checkpoints",
    title: "Delete the migration's checkpoints",
    destructive: true,

    async probe(ctx) {
      const remove: RequestedDeletion["remove"] = [];
      const forget: RequestedDeletion["forget"] = [];
      const details: string[] = [];
      const findings: Finding[] = [];
      const offered = (c: { side: CheckpointSide; name: string }): boolean =>
        liveCheckpoints(request.migration.snapshot.facts).some((l) => l.side === c.side && l.name === c.name);
      const taken = takenCheckpoints(request.migration.snapshot.facts);
      for (const side of SIDES) {
        const config = configFor(ctx.plan, side);
        if (!config) continue;
        const backend = backendOf(ctx, config, side);
        const place = { side, via: config.via, backend };
        const listed = await backend.list(ctx.signal);
        const others: string[] = [];
        for (const c of listed) {
          const owner = ownershipOf(c.name, place, taken, ctx.plan);
          if (owner.whose === "recorded") {
            remove.push({ side, name: c.name, label: backend.label, commands: backend.removeCommands(c.name) });
            details.push(
              `would delete ${c.name} of the ${side} (${backend.label}${c.takenAt ? `, taken ${c.takenAt}` : ""})`,
            );
          } else if (owner.whose === "name-only") findings.push(notOwnWarning(c.name, place, owner.why));
          else others.push(c.name);
        }
        if (others.length > 0) details.push(`kept on the ${side}: ${others.join(", ")} (not taken by this migration)`);
        for (const c of liveCheckpoints(request.migration.snapshot.facts))
          if (c.side === side && !recordedHere(c, place))
            // The plan names another backend now: whether it is still there cannot be told from here.
            findings.push(
              warning(
                `${c.name} of the ${side} is recorded on another backend`,
                `the journal records it on ${c.label}; the plan's checkpoints.${side} now names ${backend.label}: neither deleted nor forgotten`,
                `restore the plan's checkpoints.${side} the migration ran with to delete it`,
                checkpointHostRole(side),
              ),
            );
        for (const c of recordedNotListed(taken, place, listed)) {
          forget.push({ side, name: c.name });
          details.push(
            `${c.name} of the ${side} is gone already (${backend.label} lists it no more): the journal stops offering it`,
          );
        }
      }
      if (remove.length > 0)
        details.push(
          `after this, \`mudanza rollback\` can no longer return to ${remove.map((c) => `${c.name} (${c.side})`).join(", ")}`,
        );
      const path = request.migration.path;
      const why = unfinishedBecause(request.migration.snapshot);
      // Forgetting is guarded as deleting is: a listing that came back short once (another account, a backend
      // not answering in full) would otherwise drop an unfinished migration's way back (found by a new-user trial).
      const changes = remove.length + forget.length > 0;
      if (changes && why && !request.evenIfUnfinished)
        findings.push(
          blocker(
            "The migration is not finished",
            `its journal ${path} says ${why}: its checkpoints may still be needed to roll it back`,
            rolledBackBy(request.migration.snapshot)
              ? `it was ${rolledBackBy(request.migration.snapshot)}: run the migration again (mudanza run ${request.planArgs}) and delete them once it is done, or add --even-if-unfinished to abandon it and delete them now`
              : `roll it back (mudanza rollback ${request.planArgs}) or finish it (mudanza run ${request.planArgs}) first; to delete them anyway, add --even-if-unfinished`,
          ),
        );
      else if (changes && why) details.push(`the journal ${path} says ${why}: deleting anyway (--even-if-unfinished)`);
      if (!request.journalFound)
        findings.push(
          warning(
            "No journal of this migration",
            `looked for ${path}: nothing records a checkpoint as this migration's, so none is deleted`,
            "if its runs used --state-dir, pass the same one",
          ),
        );
      return {
        satisfied: remove.length === 0 && forget.length === 0,
        reason:
          remove.length === 0
            ? "no checkpoint this migration's journal records is listed: nothing to delete"
            : undefined,
        plan: { remove, forget, marks: [...remove.filter((c) => offered(c)), ...forget] },
        findings,
        details,
      };
    },

    commands: (plan) => [
      ...plan.remove.flatMap((c) => c.commands),
      ...(plan.marks.length > 0
        ? [
            {
              host: "local",
              command: writeFileCommand(
                request.migration.path,
                `${plan.marks.map((c) => `${c.name} of the ${c.side}`).join(", ")} marked deleted`,
              ),
              purpose: "rollback no longer offers them; the journal keeps when each was taken and deleted",
            },
          ]
        : []),
    ],

    async run(ctx, plan) {
      for (const c of plan.remove) {
        await backendOf(ctx, configFor(ctx.plan, c.side)!, c.side).remove(c.name, ctx.signal);
        ctx.output(c.side, `deleted ${c.name} (${c.label})`);
        // Journaled one by one: a deletion that fails half-way leaves the journal true to what is gone.
        if (plan.marks.some((m) => m.side === c.side && m.name === c.name)) await markInJournal([c]);
      }
      // One that was gone already (deleted by hand): the journal stops offering it to rollback as well.
      if (plan.forget.length > 0) await markInJournal(plan.forget);
    },

    async verify(ctx) {
      const checks = [];
      for (const side of SIDES) {
        const config = configFor(ctx.plan, side);
        if (!config) continue;
        const backend = backendOf(ctx, config, side);
        const place = { side, via: config.via, backend };
        const listed = await backend.list(ctx.signal);
        // Those this run deleted (marked deleted now) and those the journal still offers: none may be listed.
        const here = liveCheckpoints(request.migration.snapshot.facts).filter((c) => recordedHere(c, place));
        const deleted = (ctx.probedPlan(step)?.remove ?? []).filter((c) => c.side === side);
        const left = [...new Set([...deleted, ...here].map((c) => c.name))].filter((name) =>
          listed.some((l) => l.name === name),
        );
        const offered = here.filter((c) => !left.includes(c.name));
        checks.push(
          {
            name: `no checkpoint of this migration is left on the ${side} (${backend.label})`,
            ok: left.length === 0,
            detail: left.length > 0 ? `still listed: ${left.join(", ")}` : undefined,
          },
          {
            name: `the journal offers rollback no deleted checkpoint of the ${side}`,
            ok: offered.length === 0,
            detail: offered.length > 0 ? `still offered: ${offered.map((c) => c.name).join(", ")}` : undefined,
          },
        );
      }
      return verifyResult(checks);
    },
  });
  return step;
}
