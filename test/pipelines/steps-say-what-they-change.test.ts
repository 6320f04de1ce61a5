import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePlan } from "../../src/plan/load.js";
import type { PlanOf } from "../../src/plan/schema.js";
import { buildOpenvzToKvm } from "../../src/pipelines/openvz-to-kvm/pipeline.js";
import { buildVserverToOpenvz } from "../../src/pipelines/vserver-to-openvz/pipeline.js";
import { buildRollback } from "../../src/pipelines/rollback/pipeline.js";
import type { Journal } from "../../src/journal/journal.js";

const PLANS = resolve(import.meta.dirname, "../../fixtures/plans");
const planOf = (file: string) => parsePlan(readFileSync(join(PLANS, file), "utf8"), join(PLANS, file)).plan;

/**
 * The dry-run report counts the steps that change a host from the step contract: `destructive` (asks at a
 * gate) or `changesWithoutAsking`. A step with neither must only read; it is named here, so a new step that
 * writes without saying so fails this test instead of going uncounted (found by a new-user trial).
 */
const ONLY_READ: Record<string, string[]> = {
  "openvz-to-kvm": ["release-match"],
  "vserver-to-openvz": ["inventory"],
  // it writes the migration's journal on this machine, no host
  rollback: ["reset-journal"],
};

describe("every step of the migrations says whether it changes a host", () => {
  const ovz = buildOpenvzToKvm(planOf("ovz-kvm-debian-12.yaml") as PlanOf<"openvz-to-kvm">);
  const pipelines = [
    ovz,
    buildVserverToOpenvz(planOf("vserver-web1.yaml") as PlanOf<"vserver-to-openvz">),
    // new-user trial 9: its restart of what the migration stopped ran `systemctl start` and `rm -rf` unlisted
    buildRollback(
      {
        migration: { snapshot: { compensations: [] } } as unknown as Journal,
        name: "mz-before-copy",
        purpose: "before-copy",
        sides: ["target"],
        stepIds: ovz.steps.map((s) => s.id),
        firstUndoneStep: "checkpoint-before-copy",
      },
      "mudanza rollback plan.yaml --to mz-before-copy",
    ),
  ];
  for (const pipeline of pipelines)
    it(`${pipeline.kind}: a step that does not ask says what it changes, or is one that only reads`, () => {
      const silent = pipeline.steps.filter((s) => !s.destructive && !s.changesWithoutAsking).map((s) => s.id);
      expect(silent).toEqual(ONLY_READ[pipeline.kind]);
    });
});
