import { describe, expect, it } from "vitest";
import { pipelineEventSchema } from "../../src/engine/events.js";
import { journalShape } from "../../src/journal/journal-shape.js";
import { journalSchema } from "../../src/journal/journal.js";
import type { Shape } from "../../src/journal/shape.js";
import { REPORTED_EVENT_SHAPES, SUMMARIZED_FIELDS } from "../../src/report/log-event-shape.js";
import type { z } from "zod";

// `status` and `runs` check journals and logs with light shapes instead of zod: the two must accept and
// refuse the same documents, and keep the same fields.

const WRONG_VALUES: unknown[] = [null, "text", 42, -1, 1.5, true, [], {}, [1], { a: 1 }];

/** Every path to a value in `doc` (objects and arrays included), as key lists. */
function paths(doc: unknown, prefix: string[] = []): string[][] {
  if (doc === null || typeof doc !== "object") return [prefix];
  const children = Object.entries(doc as Record<string, unknown>).flatMap(([k, v]) => paths(v, [...prefix, k]));
  return prefix.length === 0 ? children : [prefix, ...children];
}

function mutated(doc: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  let parent: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  if (value === undefined) delete parent[path.at(-1)!];
  else parent[path.at(-1)!] = value;
  return copy;
}

/** Each variant: the document, each value deleted, each value replaced by each wrong value, an extra key. */
function variants(doc: unknown): unknown[] {
  const all: unknown[] = [doc, { ...(doc as object), extra: 1 }, null, [], "x"];
  for (const path of paths(doc)) for (const value of [undefined, ...WRONG_VALUES]) all.push(mutated(doc, path, value));
  return all;
}

function expectSameAnswers(shape: Shape, schema: z.ZodType, doc: unknown): number {
  let refused = 0;
  for (const variant of variants(doc)) {
    const light = shape(variant, []);
    const zod = schema.safeParse(variant);
    expect({ variant, light: light.ok }).toEqual({ variant, light: zod.success });
    if (light.ok && zod.success) expect(light.value).toEqual(zod.data);
    if (!light.ok) refused++;
  }
  return refused;
}

const journal = {
  version: 1,
  migrationId: "web1",
  kind: "openvz-to-kvm",
  planPath: "/plans/web1.yaml",
  planHash: "h",
  planTextHash: "t",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:01.000Z",
  steps: {
    copy: {
      status: "done",
      startedAt: "s",
      endedAt: "e",
      durationMs: 12.5,
      message: "m",
      checks: [{ name: "n", ok: true, detail: "d" }],
      attempts: 2,
    },
    reboot: { status: "pending" },
  },
  facts: { freezeWindowSec: 42, anything: { nested: [1, "two"] } },
  compensations: [{ id: "c", title: "t", host: "source", command: "systemctl start mariadb", registeredBy: "s" }],
  compensationLog: [
    {
      id: "c",
      title: "t",
      ok: false,
      at: "a",
      message: "m",
      outcome: "o",
      notRun: true,
      kept: false,
      registeredBy: "s",
    },
  ],
  runs: [{ startedAt: "s", endedAt: "e", mode: "yes", outcome: "done" }],
};

const at = "2026-01-01T00:00:00.000Z";
const events: Record<string, unknown> = {
  "pipeline-start": {
    type: "pipeline-start",
    at,
    kind: "k",
    title: "t",
    hosts: { source: "a" },
    mode: "yes",
    resumed: false,
    steps: [{ id: "s", title: "t", destructive: true, status: "pending" }],
    journal: "j",
  },
  "step-probed": {
    type: "step-probed",
    at,
    stepId: "s",
    satisfied: false,
    reason: "r",
    commands: [{ host: "source", command: "c", purpose: "p" }],
    findings: [
      {
        title: "t",
        summary: "s",
        severity: "warning",
        blocks: false,
        remediation: "r",
        host: "h",
        id: "i",
        acknowledged: "a",
      },
    ],
    details: ["d"],
  },
  prompt: {
    type: "prompt",
    at,
    stepId: "s",
    title: "t",
    commands: [{ host: "h", command: "c", purpose: "p", when: "w" }],
    details: ["d"],
  },
  "prompt-answer": { type: "prompt-answer", at, stepId: "s", accepted: true, by: "yes-flag" },
  "step-end": {
    type: "step-end",
    at,
    stepId: "s",
    status: "failed",
    durationMs: 3,
    message: "m",
    checks: [{ name: "n", ok: false }],
  },
  compensation: {
    type: "compensation",
    at,
    id: "c",
    title: "t",
    host: "h",
    ok: true,
    message: "m",
    notRun: true,
    kept: true,
  },
  "pipeline-end": {
    type: "pipeline-end",
    at,
    status: "interrupted",
    signal: "SIGTERM",
    message: "m",
    resumeCommand: "r",
    resumeRepeatsFailure: true,
    restartCommand: "r --restart",
    journal: "j",
    log: "l",
    freezeWindowSec: 4.5,
    downtimeSec: 6,
  },
};

describe("light shapes answer as the zod schemas do", () => {
  it("the journal: every field deleted or given a wrong value", () => {
    // Sanity: the variants include refusals (a shape that accepts everything would fail the comparison anyway).
    expect(expectSameAnswers(journalShape, journalSchema, journal)).toBeGreaterThan(50);
  });

  it("the log events a report reads", () => {
    expect([...REPORTED_EVENT_SHAPES.keys()].sort()).toEqual(Object.keys(events).sort());
    for (const [type, event] of Object.entries(events)) {
      const fields = (SUMMARIZED_FIELDS as Record<string, readonly string[]>)[type];
      if (!fields) {
        expectSameAnswers(REPORTED_EVENT_SHAPES.get(type)!, pipelineEventSchema, event);
        continue;
      }
      // A probe and a prompt are read for some fields only: the shape answers as zod's schema of those fields.
      const schema = pipelineEventSchema.options.find((o) => o.shape.type.value === type)! as z.ZodObject;
      const kept = Object.fromEntries(fields.map((f) => [f, true])) as Record<string, true>;
      const picked = Object.fromEntries(Object.entries(event as object).filter(([k]) => fields.includes(k)));
      expect(expectSameAnswers(REPORTED_EVENT_SHAPES.get(type)!, schema.pick(kept), picked)).toBeGreaterThan(5);
      // the whole event reads as those fields, whatever the others hold
      const read = REPORTED_EVENT_SHAPES.get(type)!({ ...(event as object), commands: "not checked" }, []);
      expect(read).toEqual({ ok: true, value: picked });
    }
  });
});
