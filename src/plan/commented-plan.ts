import { stringify } from "yaml";
import { commentedCheckpointLines } from "./checkpoints.js";
import { kindDocs, optionDocs } from "./kind-docs.js";
import type { PlanKind } from "./schema.js";

export interface PlanEndpointInput {
  host: string;
  port: number;
  user: string;
  sudo?: boolean;
  identityFile?: string;
  hostKey?: string;
}

export interface PlanInput {
  kind: PlanKind;
  name?: string;
  source: PlanEndpointInput;
  target: PlanEndpointInput;
  /** Options given on the command line; the others are written with their defaults. */
  options: Record<string, unknown>;
}

/** One YAML value on one line: scalars plain, lists and maps in flow style. */
const inline = (value: unknown): string => stringify(value, { collectionStyle: "flow", lineWidth: 0 }).trimEnd();

const comment = (indent: string, text: string): string => `${indent}# ${text}`;

function endpointLines(role: "source" | "target", meaning: string, e: PlanEndpointInput): string[] {
  const lines = [
    comment("", `${role}: ${meaning}`),
    `${role}:`,
    `  host: ${inline(e.host)}`,
    `  port: ${e.port}`,
    `  user: ${inline(e.user)}`,
  ];
  lines.push(
    e.sudo
      ? "  sudo: true"
      : comment("  ", "sudo: true               # run commands through `sudo -n` when the user is not root"),
  );
  lines.push(
    e.identityFile
      ? `  identityFile: ${inline(e.identityFile)}`
      : comment("  ", "identityFile: ~/.ssh/id_ed25519   # default: ssh-agent, then ~/.ssh/config"),
  );
  lines.push(
    e.hostKey
      ? `  hostKey: ${inline(e.hostKey)}`
      : comment("  ", "hostKey: SHA256:...      # pin the host key (`ssh-keygen -lf` on the host's key)"),
  );
  return lines;
}

/**
 * The plan `mudanza plan KIND` writes: every option of the kind with its description and default, and
 * what source and target mean for this kind, as YAML comments the admin reads before the first run.
 */
export function renderCommentedPlan(input: PlanInput): string {
  const doc = kindDocs[input.kind];
  const lines = [
    comment("", `mudanza plan: ${input.kind}`),
    comment("", doc.summary),
    comment("", `Check it with: mudanza run THIS-FILE --dry-run`),
    `kind: ${input.kind}`,
    input.name
      ? `name: ${inline(input.name)}`
      : comment("", "name: web1                 # names the journal; default: this file's name"),
    "",
    ...endpointLines("source", doc.source, input.source),
    "",
    ...endpointLines("target", doc.target, input.target),
    "",
    ...(input.kind === "openvz-to-kvm" ? [...commentedCheckpointLines(), ""] : []),
    "options:",
  ];
  for (const option of optionDocs(input.kind)) {
    lines.push(comment("  ", option.description));
    const given = Object.hasOwn(input.options, option.key);
    if (given) {
      const dflt = option.default !== undefined ? `   # default: ${inline(option.default)}` : "";
      lines.push(`  ${option.key}: ${inline(input.options[option.key])}${dflt}`);
    } else if (option.default !== undefined) {
      lines.push(`  ${option.key}: ${inline(option.default)}`);
    } else {
      lines.push(comment("  ", `${option.key}: (${option.type}; not set)`));
    }
  }
  return lines.join("\n") + "\n";
}
