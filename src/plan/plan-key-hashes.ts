import { createHash } from "node:crypto";
import { findSecret } from "../journal/secrets.js";
import { canonicalJson } from "./canonical-json.js";

/**
 * A short hash of each setting in a plan, by its dotted path (`source.host`, `options.services`): the journal
 * keeps them so that a plan edited after the migration started is refused naming what changed. Lists are one
 * setting. Values that look like secrets (findSecret) get no hash of their own: a hash of a short password
 * can be guessed, and the whole plan's hash still sees them change.
 */
export function planKeyHashes(plan: unknown): Record<string, string> {
  const hashes: Record<string, string> = {};
  const visit = (value: unknown, path: string): void => {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const [key, item] of Object.entries(value)) visit(item, path ? `${path}.${key}` : key);
      return;
    }
    const name = path.split(".").at(-1) ?? "";
    if (findSecret({ [name]: value }) !== null) return;
    hashes[path] = createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, 16);
  };
  visit(plan, "");
  return hashes;
}

/** The settings added, removed or changed between two plans' key hashes, sorted. */
export function changedPlanKeys(before: Record<string, string>, after: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((key) => before[key] !== after[key]).sort();
}
