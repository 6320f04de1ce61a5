/**
 * A few-line structural checker for files that read-only commands (`status`, `runs`) show: loading zod
 * costs those commands more start-up time than everything else they do. Each shape mirrors a zod schema
 * (test/journal/light-shapes.test.ts keeps them in step) and, like zod, returns a copy holding only the
 * keys it declares, with defaults filled in.
 */
export type ShapeResult = { ok: true; value: unknown } | { ok: false; path: string[]; message: string };
export type Shape = (value: unknown, path: string[]) => ShapeResult;

const ok = (value: unknown): ShapeResult => ({ ok: true, value });
const fail = (path: string[], message: string): ShapeResult => ({ ok: false, path, message });
const typeOf = (value: unknown): string => (value === null ? "null" : Array.isArray(value) ? "array" : typeof value);
const expected = (what: string, value: unknown, path: string[]) =>
  fail(path, `expected ${what}, received ${typeOf(value)}`);

export const str: Shape = (v, p) => (typeof v === "string" ? ok(v) : expected("string", v, p));
export const bool: Shape = (v, p) => (typeof v === "boolean" ? ok(v) : expected("boolean", v, p));
export const num: Shape = (v, p) => (typeof v === "number" && Number.isFinite(v) ? ok(v) : expected("number", v, p));
export const int: Shape = (v, p) => (Number.isSafeInteger(v) ? ok(v) : expected("int", v, p));
export const nonNegative: Shape = (v, p) =>
  typeof v === "number" && Number.isFinite(v) && v >= 0 ? ok(v) : expected("number >= 0", v, p);
export const unknown: Shape = (v) => ok(v);
export const literal =
  (want: string | number | boolean): Shape =>
  (v, p) =>
    v === want ? ok(v) : fail(p, `expected ${JSON.stringify(want)}`);
export const oneOf =
  (values: readonly string[]): Shape =>
  (v, p) =>
    typeof v === "string" && values.includes(v)
      ? ok(v)
      : fail(p, `expected one of ${values.map((x) => JSON.stringify(x)).join("|")}`);
/** Absent (undefined) is accepted and left out. */
export const optional =
  (shape: Shape): Shape =>
  (v, p) =>
    v === undefined ? ok(undefined) : shape(v, p);
export const withDefault =
  (shape: Shape, fallback: unknown): Shape =>
  (v, p) =>
    v === undefined ? ok(fallback) : shape(v, p);

export const array =
  (item: Shape): Shape =>
  (v, p) => {
    if (!Array.isArray(v)) return expected("array", v, p);
    const out: unknown[] = [];
    for (let i = 0; i < v.length; i++) {
      const r = item(v[i], [...p, String(i)]);
      if (!r.ok) return r;
      out.push(r.value);
    }
    return ok(out);
  };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** An object with any string keys, each value of `item`. */
export const record =
  (item: Shape): Shape =>
  (v, p) => {
    if (!isRecord(v)) return expected("record", v, p);
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(v)) {
      const r = item(value, [...p, key]);
      if (!r.ok) return r;
      out[key] = r.value;
    }
    return ok(out);
  };

/** An object with these keys; others are dropped (as zod's z.object does). */
export const object =
  (fields: Record<string, Shape>): Shape =>
  (v, p) => {
    if (!isRecord(v)) return expected("object", v, p);
    const out: Record<string, unknown> = {};
    for (const [key, shape] of Object.entries(fields)) {
      const r = shape(v[key], [...p, key]);
      if (!r.ok) return r;
      if (r.value !== undefined) out[key] = r.value;
    }
    return ok(out);
  };
