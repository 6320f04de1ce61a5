import { readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { basename, dirname, extname, resolve, isAbsolute } from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { BadInputError } from "../errors.js";
import { resumeSafeOptions } from "./kind-docs.js";
import { planSchema, type Plan } from "./schema.js";

export interface LoadedPlan {
  plan: Plan;
  path: string;
  /** sha256 of the validated plan without its resume-safe options: an edit after the migration started is detected by this. */
  hash: string;
  /** The hash journals written before resume-safe options existed hold (every option counted). */
  legacyHash: string;
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
  const sha256 = (value: unknown): string => createHash("sha256").update(canonicalJson(value)).digest("hex");
  const migrationId = plan.name ?? basename(path, extname(path));
  return { plan, path, hash: sha256(withoutResumeSafeOptions(result.data)), legacyHash: sha256(result.data), migrationId };
}

/** Skipping a step (e.g. skipPreUpdate after declining its gate) is decided again on every run, so it may change on resume. */
function withoutResumeSafeOptions(plan: Plan): Plan {
  const options: Record<string, unknown> = { ...plan.options };
  for (const key of resumeSafeOptions(plan.kind)) delete options[key];
  return { ...plan, options } as Plan;
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
