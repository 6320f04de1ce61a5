import type { z } from "zod";

/** The parts of zod's schema definitions read here (zod 4 keeps them on `_zod.def`). */
interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
  values?: unknown[];
  element?: z.ZodType;
}

const defOf = (schema: z.ZodType): SchemaDef => (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;

/** Wrappers that do not change which keys an object takes. */
function unwrap(schema: z.ZodType): z.ZodType {
  let at = schema;
  for (;;) {
    const def = defOf(at);
    if (def.innerType) at = def.innerType;
    else if (def.type === "pipe" && def.in) at = def.in;
    else return at;
  }
}

/**
 * The object schemas `written` could be at this level: a union's members are kept only where every literal
 * field (`kind`, `via`) matches what was written, so an openvz-to-kvm plan is not offered a vserver option.
 */
function objectsFor(schema: z.ZodType, written: unknown): Array<Record<string, z.ZodType>> {
  const def = defOf(unwrap(schema));
  if (def.type === "object" && def.shape) return [def.shape];
  if (def.type !== "union" || !def.options) return [];
  const all = def.options.flatMap((option) => objectsFor(option, written));
  const values = written && typeof written === "object" ? (written as Record<string, unknown>) : {};
  const matching = all.filter((shape) =>
    Object.entries(shape).every(([key, field]) => {
      const fieldDef = defOf(unwrap(field));
      return fieldDef.type !== "literal" || !(key in values) || (fieldDef.values ?? []).includes(values[key]);
    }),
  );
  return matching.length > 0 ? matching : all;
}

/**
 * The object shapes the schema takes at `path` of the written document, through lists too (an item of
 * `extraExcludes` is `{path, reason}`); empty when the path leaves the objects.
 */
export function shapesAt(
  schema: z.ZodType,
  written: unknown,
  path: readonly PropertyKey[],
): Array<Record<string, z.ZodType>> {
  let schemas = [schema];
  let value = written;
  for (const key of path) {
    const parent = value;
    value = value && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    schemas = schemas.flatMap((at) => {
      const def = defOf(unwrap(at));
      if (def.type === "array") return def.element ? [def.element] : [];
      return objectsFor(at, parent).flatMap((shape) => (shape[String(key)] ? [shape[String(key)]!] : []));
    });
  }
  return schemas.flatMap((at) => objectsFor(at, value));
}

/** The keys the schema takes at `path` of the written document (empty when the path leaves the objects). */
export function keysAt(schema: z.ZodType, written: unknown, path: readonly PropertyKey[]): string[] {
  return [...new Set(shapesAt(schema, written, path).flatMap((shape) => Object.keys(shape)))];
}

/** Edits between two keys, case-insensitive, a swap of two neighbours counting as one (hots, host). */
function distance(a: string, b: string): number {
  const [s, t] = [a.toLowerCase(), b.toLowerCase()];
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= t.length; j++) d[0]![j] = j;
  for (let i = 1; i <= s.length; i++)
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[s.length]![t.length]!;
}

/** The known key a misspelt one most likely meant: within a third of its length in edits (at least one). */
export function closestKey(unknown: string, known: string[]): string | undefined {
  const limit = Math.max(1, Math.floor(unknown.length / 3));
  const ranked = known
    .map((key) => ({ key, d: distance(unknown, key) }))
    .filter(({ d }) => d <= limit)
    .sort((x, y) => x.d - y.d);
  return ranked[0]?.key;
}
