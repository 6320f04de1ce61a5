import type { z } from "zod";
import { BadInputError } from "../errors.js";

/**
 * A journal fact declared once: its key and the zod schema of its value. Steps read and write facts only
 * through these, so a value read back is validated against its declaration, never cast.
 */
export interface FactDef<T> {
  readonly key: string;
  readonly schema: z.ZodType<T>;
}

/** The value type a fact declares. */
export type FactValue<F> = F extends FactDef<infer T> ? T : never;

/** The one key convention: a bare camelCase name (a journal belongs to one pipeline, so no prefix). */
const FACT_KEY = /^[a-z][A-Za-z0-9]*$/;

export function defineFact<S extends z.ZodType>(key: string, schema: S): FactDef<z.infer<S>> {
  if (!FACT_KEY.test(key)) throw new Error(`fact key "${key}" is not a bare camelCase name`);
  return { key, schema: schema as z.ZodType<z.infer<S>> };
}

/** A journal written by another version holds a fact in a shape this one does not know. */
export class FactShapeError extends BadInputError {
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(
      `the journal's fact "${key}" is not what this version of mudanza writes (${detail}): an older or newer version wrote it. Run again with --restart to start this migration over`,
    );
  }
}

/** The value of `fact` in a facts record, validated; undefined when absent. */
export function readFact<T>(facts: Record<string, unknown>, fact: FactDef<T>): T | undefined {
  const value = facts[fact.key];
  if (value === undefined) return undefined;
  const parsed = fact.schema.safeParse(value);
  if (!parsed.success)
    throw new FactShapeError(
      fact.key,
      parsed.error.issues.map((i) => `${i.path.join(".") || "value"}: ${i.message}`).join("; "),
    );
  return parsed.data;
}

/** Validates a value before it is journaled: a step that writes the wrong shape fails at once, not a later reader. */
export function checkedFact<T>(fact: FactDef<T>, value: T): T {
  const parsed = fact.schema.safeParse(value);
  if (!parsed.success)
    throw new Error(
      `fact "${fact.key}" would be written in the wrong shape: ${parsed.error.issues.map((i) => `${i.path.join(".") || "value"}: ${i.message}`).join("; ")}`,
    );
  return parsed.data;
}

type Keys<T> = { [K in keyof T]: string };

/** The journal key of each fact in a pipeline's list, for readers of a raw journal (status, reports, tests). */
export function keysOf<T extends Record<string, FactDef<unknown>>>(facts: T): Keys<T> {
  for (const [name, fact] of Object.entries(facts)) {
    if (name !== fact.key) throw new Error(`fact "${name}" is journaled as "${fact.key}": a fact's key is its name`);
  }
  return Object.fromEntries(Object.entries(facts).map(([name, fact]) => [name, fact.key])) as Keys<T>;
}
