import { readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { basename, dirname, extname, resolve, isAbsolute } from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { BadInputError } from "../errors.js";
import { planSchema, type Plan } from "./schema.js";

export interface LoadedPlan {
  plan: Plan;
  path: string;
  /** sha256 of the validated plan: an edit after the migration started is detected by this. */
  hash: string;
  migrationId: string;
}

export async function loadPlan(path: string): Promise<LoadedPlan> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, "utf8");
  } catch (error) {
    throw new BadInputError(`cannot read plan ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parsePlan(text, absolute);
}

export function parsePlan(text: string, path: string): LoadedPlan {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) throw new BadInputError(`${path}: not valid YAML:\n${doc.errors.map((e) => e.message).join("\n")}`);
  const result = planSchema.safeParse(doc.toJS());
  if (!result.success) throw new BadInputError(formatPlanErrors(path, result.error));
  const plan = resolveFixturePaths(result.data, dirname(path));
  const hash = createHash("sha256").update(canonicalJson(result.data)).digest("hex");
  const migrationId = plan.name ?? basename(path, extname(path));
  return { plan, path, hash, migrationId };
}

/** "plan.yaml: source.port: expected a number, got "abc"" for every problem found. */
export function formatPlanErrors(path: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const key = issue.path.length > 0 ? issue.path.map(String).join(".") : "(top level)";
    return `  ${key}: ${issue.message}`;
  });
  return `${path} is not a valid plan:\n${lines.join("\n")}`;
}

function resolveFixturePaths(plan: Plan, base: string): Plan {
  const fix = <E extends Plan["source"]>(endpoint: E): E =>
    endpoint.fixture && !isAbsolute(endpoint.fixture) ? { ...endpoint, fixture: resolve(base, endpoint.fixture) } : endpoint;
  return { ...plan, source: fix(plan.source), target: fix(plan.target) };
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
