import { checkedFact, readFact } from "../../src/engine/facts.js";
import type { ProgressInfo } from "../../src/engine/events.js";
import type { Compensation, StepContext } from "../../src/engine/step.js";
import type { Host } from "../../src/hosts/host.js";
import { loadPlan } from "../../src/plan/load.js";
import type { PlanOf } from "../../src/plan/schema.js";

export type OvzPlan = PlanOf<"openvz-to-kvm">;

/** A StepContext without the runner: facts in memory, output and compensations collected for assertions. */
export function stepContext(
  plan: OvzPlan,
  hosts: Record<string, Host>,
  facts: Record<string, unknown> = {},
  /** What an earlier run left pending in the journal (a dry run after a kill). */
  pendingFromEarlierRun: Compensation[] = [],
) {
  const output: string[] = [];
  const progress: ProgressInfo[] = [];
  const compensations = new Map<string, Omit<Compensation, "registeredBy">>();
  const ctx: StepContext<OvzPlan> = {
    plan,
    hosts,
    host: (role) => {
      const h = hosts[role];
      if (!h) throw new Error(`no host ${role}`);
      return h;
    },
    facts: {
      get: (fact) => readFact(facts, fact),
      set: async (fact, value) => {
        facts[fact.key] = JSON.parse(JSON.stringify(checkedFact(fact, value)));
      },
      all: () => ({ ...facts }),
    },
    output: (host, line) => output.push(`${host}: ${line}`),
    progress: (p) => progress.push(p),
    compensations: {
      register: async (c) => void compensations.set(c.id, c),
      clear: async (...ids) => ids.forEach((id) => compensations.delete(id)),
      pending: () => [
        ...pendingFromEarlierRun,
        ...[...compensations.values()].map((c) => ({ ...c, registeredBy: "this-step" })),
      ],
    },
    signal: new AbortController().signal,
    // No runner: no earlier probe in this run.
    probedPlan: () => undefined,
  };
  return { ctx, output, progress, compensations, facts };
}

export async function planFrom(path: string, options: Partial<OvzPlan["options"]> = {}): Promise<OvzPlan> {
  const plan = (await loadPlan(path)).plan as OvzPlan;
  return { ...plan, options: { ...plan.options, ...options } };
}
