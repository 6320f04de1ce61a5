import { z } from "zod";
import { openvzToKvmOptionsSchema, openvzToKvmPlanDoc } from "./options/openvz-to-kvm.js";
import { vserverToOpenvzOptionsSchema, vserverToOpenvzPlanDoc } from "./options/vserver-to-openvz.js";
import type { PlanKind } from "./schema.js";

export interface KindDoc {
  summary: string;
  /** What `source` and `target` are for this kind. */
  source: string;
  target: string;
  /** Step id → the plan option that skips that step. */
  skipOptions: Record<string, string>;
  schema: z.ZodObject;
}

export const kindDocs: Record<PlanKind, KindDoc> = {
  "openvz-to-kvm": { ...openvzToKvmPlanDoc, schema: openvzToKvmOptionsSchema },
  "vserver-to-openvz": { ...vserverToOpenvzPlanDoc, schema: vserverToOpenvzOptionsSchema },
};

export interface OptionDoc {
  key: string;
  /** "boolean", "integer 1-10", "list of strings", ... */
  type: string;
  required: boolean;
  /** Absent when the option has no default (optional, or required). */
  default?: unknown;
  description: string;
}

interface JsonSchemaNode {
  type?: string;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  description?: string;
  items?: JsonSchemaNode & { properties?: Record<string, unknown> };
}

function typeText(node: JsonSchemaNode): string {
  if (node.type === "array") {
    const items = node.items ?? {};
    return items.type === "object"
      ? `list of {${Object.keys(items.properties ?? {}).join(", ")}}`
      : `list of ${items.type ?? "values"}s`;
  }
  if (node.type === "integer" || node.type === "number") {
    if (node.minimum !== undefined && node.maximum !== undefined) return `${node.type} ${node.minimum}-${node.maximum}`;
    if (node.minimum !== undefined) return `${node.type} ≥ ${node.minimum}`;
    if ((node as { exclusiveMinimum?: number }).exclusiveMinimum === 0) return `${node.type} > 0`;
  }
  return node.type ?? "value";
}

/** Every option of a kind, read from its zod schema (descriptions come from `.describe()`). */
export function optionDocs(kind: PlanKind): OptionDoc[] {
  const json = z.toJSONSchema(kindDocs[kind].schema, { io: "input" }) as {
    properties: Record<string, JsonSchemaNode>;
    required?: string[];
  };
  return Object.entries(json.properties).map(([key, node]) => ({
    key,
    type: typeText(node),
    required: (json.required ?? []).includes(key) && node.default === undefined,
    ...("default" in node ? { default: node.default } : {}),
    description: node.description ?? "",
  }));
}

const show = (value: unknown): string => JSON.stringify(value);

/** The option list of `mudanza plan KIND --help`. */
export function optionsHelpText(kind: PlanKind): string {
  const doc = kindDocs[kind];
  const lines = [
    "",
    `${kind}: ${doc.summary}`,
    `  source: ${doc.source}`,
    `  target: ${doc.target}`,
    "",
    "Plan options (set with --option key=value, or edit the written plan):",
  ];
  for (const o of optionDocs(kind)) {
    const dflt = o.required ? "required" : o.default !== undefined ? `default ${show(o.default)}` : "optional";
    lines.push(`  ${o.key} (${o.type}, ${dflt})`, `      ${o.description}`);
  }
  return lines.join("\n");
}

/** The same list as a Markdown table, for the README (a test keeps the README in step with this). */
export function optionsMarkdown(kind: PlanKind): string {
  const rows = optionDocs(kind).map((o) => {
    const dflt = o.required ? "required" : o.default !== undefined ? `\`${show(o.default)}\`` : "";
    return `| \`${o.key}\` | ${o.type} | ${dflt} | ${o.description.replaceAll("|", "\\|")} |`;
  });
  return ["| Option | Type | Default | What it does |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** Options that only skip a step: changing them between runs of one migration is allowed (the plan hash ignores them). */
export const resumeSafeOptions = (kind: PlanKind): string[] => Object.values(kindDocs[kind].skipOptions);

/** What a declined gate tells the admin: the option that skips the step, and how to go on with it. */
export function declinedGateHint(kind: PlanKind, stepId: string, planPath: string, resumeCommand: string): string {
  const option = kindDocs[kind].skipOptions[stepId];
  if (!option) return `Run again to be asked again: ${resumeCommand}`;
  return `To skip this step, set options.${option}: true in ${planPath} (allowed on resume), then: ${resumeCommand}`;
}
