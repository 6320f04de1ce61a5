import { checkedFact, readFact } from "../../../src/engine/facts.js";
import type { ProgressInfo } from "../../../src/engine/events.js";
import type { Compensation, StepContext } from "../../../src/engine/step.js";
import type { Host } from "../../../src/hosts/host.js";
import { planSchema } from "../../../src/plan/schema.js";
import type { VsPlan } from "../../../src/steps/vserver-to-openvz/context.js";

export function vsPlan(
  options: Record<string, unknown> = {},
  endpoints: { source?: Record<string, unknown>; target?: Record<string, unknown> } = {},
): VsPlan {
  const plan = planSchema.parse({
    kind: "vserver-to-openvz",
    source: endpoints.source ?? { transport: "local" },
    target: endpoints.target ?? { transport: "local" },
    options: { guest: "web1", ...options },
  });
  if (plan.kind !== "vserver-to-openvz") throw new Error("unreachable");
  return plan;
}

export interface TestContext extends StepContext<VsPlan> {
  progressEvents: ProgressInfo[];
  lines: string[];
  registered: Array<Omit<Compensation, "registeredBy">>;
  factStore: Record<string, unknown>;
}

/** A StepContext with in-memory facts, for running one step's code against real or scripted hosts. */
export function stepContext(
  plan: VsPlan,
  hosts: Record<string, Host>,
  facts: Record<string, unknown> = {},
): TestContext {
  const progressEvents: ProgressInfo[] = [];
  const lines: string[] = [];
  const registered: Array<Omit<Compensation, "registeredBy">> = [];
  const factStore = { ...facts };
  return {
    plan,
    hosts,
    host(role) {
      const host = hosts[role];
      if (!host) throw new Error(`no host ${role}`);
      return host;
    },
    facts: {
      get: (fact) => readFact(factStore, fact),
      set: async (fact, value) => {
        factStore[fact.key] = checkedFact(fact, value);
      },
      all: () => ({ ...factStore }),
    },
    output: (_host, line) => lines.push(line),
    progress: (info) => progressEvents.push(info),
    compensations: {
      register: async (c) => {
        registered.push(c);
      },
      clear: async (...ids) => {
        for (const id of ids) {
          const i = registered.findIndex((c) => c.id === id);
          if (i >= 0) registered.splice(i, 1);
        }
      },
      pending: () => registered.map((c) => ({ ...c, registeredBy: "this-step" })),
    },
    signal: new AbortController().signal,
    // No runner: no earlier probe in this run.
    probedPlan: () => undefined,
    progressEvents,
    lines,
    registered,
    factStore,
  };
}
