import { blocker, warning, type Finding } from "../../engine/finding.js";
import { defineStep, verifyResult, type PlannedCommand, type Step } from "../../engine/step.js";
import { gib } from "../host/probes.js";
import type { OvzPlan } from "../openvz-to-kvm/plan.js";
import { OVZ_FACTS } from "../openvz-to-kvm/facts.js";
import { backendOf, configFor, describeConfig, nameFor, type CheckpointPurpose, type CheckpointSide } from "./sides.js";

/** One checkpoint to take, as planned: the commands are its backend's, kept so the gate and run agree. */
export interface PlannedCheckpoint {
  side: CheckpointSide;
  name: string;
  via: string;
  label: string;
  costBytes: number;
  costHow: string;
  commands: PlannedCommand[];
  /** When the backend lists it as taken (a checkpoint found, not taken by this run). */
  takenAt?: string;
}

export interface CheckpointPlan {
  take: PlannedCheckpoint[];
  /**
   * Checkpoints of this name the backend already holds but the journal does not (a run after --restart):
   * kept, not taken again, and recorded, so that rollback can return to them.
   */
  adopt: PlannedCheckpoint[];
}

const WHAT: Record<CheckpointPurpose, string> = {
  "before-update": "before the pre-update step (it upgrades and reboots both hosts)",
  "before-copy": "before the first copy (it overwrites the target's root)",
};

/**
 * A checkpoint of `sides` before a step nothing else could undo. Without a checkpoints section (or when
 * the plan names none of these sides) it is skipped, not "already done" (found by a new-user trial): the
 * run goes on, and the first gate after it warns that nothing can undo it (undo-note.ts).
 */
export function checkpointStep(
  purpose: CheckpointPurpose,
  sides: CheckpointSide[],
  skip?: (plan: OvzPlan) => string | undefined,
  /** The plan the pipeline is built for: the title names the sides it configures (all of them when none). */
  plan?: OvzPlan,
): Step<OvzPlan, CheckpointPlan> {
  const named = plan ? sides.filter((side) => configFor(plan, side)) : [];
  // Journals keep steps by id: a title that follows the plan changes nothing a resume reads (new-user trial 7:
  // "of the target and the source" for a plan that names the target's only).
  const titled = named.length > 0 ? named : sides;
  return defineStep<OvzPlan, CheckpointPlan>({
    id: `checkpoint-${purpose}`,
    title: `Checkpoint of the ${titled.join(" and the ")} ${WHAT[purpose]}`,
    destructive: false,
    changesWithoutAsking: "takes a snapshot on the checkpoint's host (it costs disk; the guest is unchanged)",
    // Skipped, a resumed run asks again: a checkpoints section added since is then taken.
    skip: (ctx) =>
      skip?.(ctx.plan) ??
      (sides.some((side) => configFor(ctx.plan, side))
        ? undefined
        : `no checkpoint configured for the ${sides.join(" or the ")}: nothing can undo the steps after this one`),

    async probe(ctx) {
      const configured = sides.filter((side) => configFor(ctx.plan, side));
      // A side without a checkpoint is warned of by the first gate after this step (undo-note.ts).
      const findings: Finding[] = [];
      const details: string[] = [];
      const take: PlannedCheckpoint[] = [];
      const adopt: PlannedCheckpoint[] = [];
      const recorded = ctx.facts.get(OVZ_FACTS.checkpoints) ?? [];
      let done = 0;
      for (const side of configured) {
        const config = configFor(ctx.plan, side)!;
        const backend = backendOf(ctx, config, side);
        const name = nameFor(ctx.plan, purpose);
        const probe = await backend.probe(ctx.signal);
        details.push(...probe.details.map((d) => `${side}: ${d}`));
        const existing = probe.existing.find((c) => c.name === name);
        if (existing) {
          const inJournal = recorded.some((c) => c.side === side && c.name === name && !c.deletedAt);
          details.push(
            `${side}: checkpoint ${name} exists already (${describeConfig(config)}${existing.takenAt ? `, taken ${existing.takenAt}` : ""}): kept, not taken again${inJournal ? "" : "; recorded in the journal, so rollback can return to it: a rollback returns to when it was taken, before any run since"}`,
          );
          if (inJournal) done++;
          else {
            // Right after a run of this migration that took it and was stopped before recording it; wrong for
            // another migration's of the same name or one made by hand (new-user trial 12): said, not guessed.
            findings.push(
              warning(
                `Checkpoint ${name} exists already, not recorded by this migration`,
                `${describeConfig(config)} holds a checkpoint named ${name}${existing.takenAt ? `, taken ${existing.takenAt}` : ""}, which this migration's journal does not record: the run records it as this migration's, and a rollback to it returns the ${side} to when it was taken. That is right when a run of this migration took it and was stopped before recording it`,
                `if it is another migration's (the same name: in another plan) or made by hand, remove or rename it before the run, or give this migration a name of its own (name: in the plan)`,
                side,
              ),
            );
            adopt.push({
              side,
              name,
              via: config.via,
              label: backend.label,
              costBytes: 0,
              costHow: "exists already",
              commands: [],
              takenAt: existing.takenAt,
            });
          }
          continue;
        }
        if (probe.refusal) {
          findings.push(
            blocker(
              `No checkpoint possible on the ${side}`,
              `${backend.label}: ${probe.refusal.why}`,
              probe.refusal.instead,
              side,
            ),
          );
          continue;
        }
        if (probe.freeBytes !== undefined && probe.freeBytes < probe.cost.bytes) {
          findings.push(
            blocker(
              `No room for the ${side}'s checkpoint`,
              `${backend.label}: ${gib(probe.freeBytes)} free, the checkpoint needs about ${gib(probe.cost.bytes)} at once`,
              "free space where the checkpoint is stored, or set no checkpoint for this side",
              side,
            ),
          );
          continue;
        }
        details.push(
          `${side}: would take ${name} (${describeConfig(config)}), about ${gib(probe.cost.bytes)} at once: ${probe.cost.how}`,
        );
        take.push({
          side,
          name,
          via: config.via,
          label: backend.label,
          costBytes: probe.cost.bytes,
          costHow: probe.cost.how,
          commands: backend.createCommands(name),
        });
      }
      const satisfied = take.length === 0 && adopt.length === 0 && findings.every((f) => !f.blocks);
      const reason = done === configured.length ? "taken in an earlier run" : undefined;
      return {
        satisfied,
        reason,
        plan: { take, adopt },
        findings,
        details,
        // Those it records as found count too: a rollback can return to them (the report's undo names them).
        facts: { checkpointPlan: [...take, ...adopt].map(({ commands: _c, ...rest }) => ({ ...rest, purpose })) },
      };
    },

    commands: (plan) => plan.take.flatMap((c) => c.commands),

    async run(ctx, plan) {
      for (const found of plan.adopt) {
        const taken = ctx.facts.get(OVZ_FACTS.checkpoints) ?? [];
        ctx.output(found.side, `checkpoint ${found.name} (${found.label}) exists already: recorded, not taken again`);
        await ctx.facts.set(OVZ_FACTS.checkpoints, [
          ...taken.filter((c) => c.name !== found.name || c.side !== found.side),
          {
            side: found.side,
            purpose,
            name: found.name,
            via: found.via,
            label: found.label,
            // The backend's time when it says; otherwise when this run found it (a checkpoint no later than that).
            takenAt:
              found.takenAt && !Number.isNaN(Date.parse(found.takenAt))
                ? new Date(found.takenAt).toISOString()
                : new Date().toISOString(),
          },
        ]);
      }
      for (const planned of plan.take) {
        const config = configFor(ctx.plan, planned.side);
        if (!config) throw new Error(`the plan no longer names checkpoints.${planned.side}: run again to plan anew`);
        const started = Date.now();
        ctx.output(planned.side, `taking checkpoint ${planned.name} (${planned.label})`);
        await backendOf(ctx, config, planned.side).create(planned.name, ctx.signal);
        ctx.output(
          planned.side,
          `checkpoint ${planned.name} taken in ${Math.round((Date.now() - started) / 100) / 10} s`,
        );
        const taken = ctx.facts.get(OVZ_FACTS.checkpoints) ?? [];
        await ctx.facts.set(OVZ_FACTS.checkpoints, [
          ...taken.filter((c) => c.name !== planned.name || c.side !== planned.side),
          {
            side: planned.side,
            purpose,
            name: planned.name,
            via: planned.via,
            label: planned.label,
            takenAt: new Date().toISOString(),
          },
        ]);
      }
    },

    async verify(ctx) {
      const checks = [];
      for (const side of sides) {
        const config = configFor(ctx.plan, side);
        if (!config) continue;
        const name = nameFor(ctx.plan, purpose);
        const check = `the ${side}'s checkpoint ${name} (${describeConfig(config)})`;
        // Deleted by mudanza since (checkpoints --delete, deleteCheckpointsWhenDone): gone on purpose, not lost.
        const deleted = (ctx.facts.get(OVZ_FACTS.checkpoints) ?? []).find(
          (c) => c.side === side && c.name === name && c.deletedAt,
        );
        if (deleted) {
          checks.push({
            name: check,
            ok: true,
            // A resumed run goes on without it: say so where the step is verified again (review).
            detail: `deleted at ${deleted.deletedAt}, as asked: not looked for; nothing can undo the steps after this one now`,
          });
          continue;
        }
        const listed = (await backendOf(ctx, config, side).list(ctx.signal)).map((c) => c.name);
        const ok = listed.includes(name);
        checks.push({
          name: check,
          ok,
          // What was expected, then what was seen: a failed check read as a claim ("is listed ... (none listed)").
          detail: ok
            ? "listed"
            : `expected it listed after taking it, but ${listed.length > 0 ? `only ${listed.join(", ")} ${listed.length === 1 ? "is" : "are"} listed` : "no checkpoint is listed"}`,
        });
      }
      return verifyResult(checks);
    },
  });
}
