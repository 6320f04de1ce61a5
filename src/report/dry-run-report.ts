import { pasteable } from "../hosts/quote.js";
import type { Pipeline, ProbeResult } from "../engine/step.js";
import { formatBytes } from "../render/format.js";
import type { DryRunReport, DryRunStep } from "./dry-run-schema.js";
import {
  hostOfKey,
  isExcludeList,
  isTransferEstimateKey,
  valueLines,
  type ExcludeFact,
  type HostFact,
} from "./facts.js";
import { code, fenced, plain as markdownPlain, table } from "./markdown.js";
import { wordsFor } from "./kind-words.js";
import { NO_UNDO, riskSummary } from "./risk-summary.js";
import { commandNote } from "../engine/command-note.js";
import { condenseCommands, sharedMarker } from "../render/condense-commands.js";

export type { DryRunReport } from "./dry-run-schema.js";
/** @deprecated the report is DryRunReport; kept for callers of the first version. */
export type DryRunData = DryRunReport;

export interface DryRunContext {
  /** Facts an earlier run of this migration journaled (measured passes), for the expected freeze. */
  earlierFacts?: Readonly<Record<string, unknown>>;
  /** Ways to undo the run (the checkpoints feature fills this); none: the summary says nothing can. */
  undo?: string[];
  /** The plan has a checkpoints section (none planned then says why, not "no section"). */
  checkpointsInPlan?: boolean;
  /** The plan's options (the freeze's shape: finalPass, cutover). */
  planOptions?: Readonly<Record<string, unknown>>;
  /** The journal's pending compensations: a run undoes them before its first step. */
  pendingUndo?: ReadonlyArray<{ title: string; host: string }>;
  /** The plan file, for the rollback commands the report gives (PLAN when not known). */
  planPath?: string;
}

/** Everything the probes said, arranged for the report (the JSON form of `--dry-run --format json`). */
export function collectDryRun(
  pipeline: Pipeline<unknown>,
  hosts: Record<string, string>,
  probes: Record<string, ProbeResult>,
  skipped: Record<string, string>,
  generatedAt = new Date().toISOString(),
  context: DryRunContext = {},
): DryRunReport {
  const roles = Object.keys(hosts);
  const hostFacts: Record<string, HostFact[]> = Object.fromEntries(roles.map((r) => [r, []]));
  const excludes: ExcludeFact[] = [];
  let estimate: DryRunReport["estimate"] = null;
  const checkpoints: DryRunReport["checkpoints"] = [];
  const steps: DryRunStep[] = pipeline.steps.map((s) => {
    const probe = probes[s.id];
    const facts = probe?.facts ?? {};
    for (const [key, value] of Object.entries(facts)) {
      if (isExcludeList(value)) for (const e of value) excludes.push({ path: e.path, reason: e.reason, stepId: s.id });
      else if (key === "checkpointPlan" && Array.isArray(value))
        for (const c of value as Array<Omit<DryRunReport["checkpoints"][number], "stepId">>)
          checkpoints.push({
            stepId: s.id,
            side: c.side,
            name: c.name,
            label: c.label,
            costBytes: c.costBytes,
            costHow: c.costHow,
          });
      else if (typeof value === "number" && isTransferEstimateKey(key))
        estimate = { bytesToTransfer: value, stepId: s.id, key };
      const owner = hostOfKey(key, roles);
      // A fact named after the role itself ("source: {...}") is labelled with the step that found it.
      if (owner && !isExcludeList(value))
        hostFacts[owner.role]!.push({ stepId: s.id, label: owner.rest || s.title, key, value });
    }
    const blocked = probe?.findings.some((f) => f.blocks) ?? false;
    const status: DryRunStep["status"] = !probe
      ? skipped[s.id] && skipped[s.id] !== "not probed"
        ? "skipped"
        : "not-probed"
      : blocked
        ? "blocked"
        : probe.satisfied
          ? "satisfied"
          : "would-run";
    return {
      id: s.id,
      title: s.title,
      destructive: s.destructive,
      ...(s.changesWithoutAsking ? { changesWithoutAsking: s.changesWithoutAsking } : {}),
      status,
      reason: probe ? probe.reason : skipped[s.id],
      commands: probe?.commands ?? [],
      details: probe?.details ?? [],
      findings: probe?.findings ?? [],
      facts,
    };
  });
  const all = steps.flatMap((s) => s.findings);
  // A checkpoint holds the state before the step after it: naming the checkpoint step itself would say nothing.
  const protectedStep = (checkpointStepId: string) => {
    const index = pipeline.steps.findIndex((s) => s.id === checkpointStepId);
    return index >= 0 ? pipeline.steps[index + 1] : undefined;
  };
  // A command to paste: the plan's own path (new-user trial 7: the literal PLAN beside real paths)
  const plan = context.planPath ? pasteable(context.planPath) : "PLAN";
  const undoLine = (c: DryRunReport["checkpoints"][number]): string => {
    const before = protectedStep(c.stepId);
    return `\`mudanza rollback ${plan} --to ${c.name}\` returns the ${c.side} (${c.label}) to ${before ? `its state just before the step "${before.title}"` : `checkpoint ${c.name}`}`;
  };
  const risk = riskSummary({
    kind: pipeline.kind,
    steps,
    excludeCount: excludes.length,
    earlierFacts: context.earlierFacts ?? {},
    undo: context.undo ?? checkpoints.map(undoLine),
    checkpointsInPlan: context.checkpointsInPlan,
    planOptions: context.planOptions,
    pendingUndo: context.pendingUndo,
  });
  const blockers = all.filter((f) => f.blocks);
  return {
    reportVersion: 1,
    generatedAt,
    kind: pipeline.kind,
    title: pipeline.title,
    hosts,
    outcome: blockers.length > 0 ? "blocked" : "ready",
    hostFacts,
    steps,
    excludes,
    estimate,
    risk,
    checkpoints,
    blockers,
    warnings: all.filter((f) => !f.blocks && f.severity === "warning"),
  };
}

/**
 * The excludes are the "Not copied" table; a command that spells them all out (rsync's 50-odd --exclude=)
 * says so instead of listing them once more. The exact command is in the JSON report and in --debug.
 */
const STATUS_TEXT: Record<DryRunStep["status"], string> = {
  "would-run": "would run",
  satisfied: "already done",
  skipped: "skipped",
  "not-probed": "not checked (skipped by the plan, or done earlier)",
  blocked: "BLOCKED",
};

/**
 * How user text is made safe: `plain` escapes Markdown (a report file, or stdout going to a file or a
 * pipe); `forTerminal` only defuses control characters, for a report read on a terminal, where a `\<-`
 * or `\*` would be noise.
 */
export type TextEscape = (text: string) => string;

function findingLine(f: DryRunReport["blockers"][number], plain: TextEscape): string {
  return `- **${plain(f.title)}**${f.host ? ` (${plain(f.host)})` : ""}: ${plain(f.summary)}${f.remediation ? `  \n  Fix: ${plain(f.remediation)}` : ""}${f.acknowledged ? `  \n  Acknowledged in the plan (${plain(f.id ?? "")}): ${plain(f.acknowledged)}` : ""}`;
}

/** Markdown: verdict first, then facts per host, the estimate, the excludes, and step by step what would run. */
export function renderDryRunMarkdown(data: DryRunReport, plain: TextEscape = markdownPlain): string {
  const out: string[] = [`# Dry run: ${plain(data.title)}`, ""];
  out.push(`Kind ${code(data.kind)}, generated ${data.generatedAt}. Nothing was changed on any host.`, "");
  for (const [role, address] of Object.entries(data.hosts)) out.push(`- **${role}**: ${code(address)}`);
  out.push("");
  out.push(
    data.outcome === "blocked"
      ? `**Blocked** by ${data.blockers.length} finding(s): fix them, then run the dry run again.`
      : "**Ready**: no blockers found.",
    "",
  );

  out.push("## Risk", "");
  for (const line of [...data.risk.changes, ...data.risk.overwrites, ...data.risk.freeze]) out.push(`- ${line}`);
  out.push(
    ...(data.risk.undo.length === 1 && data.risk.undo[0] === NO_UNDO
      ? [`- Undo: ${NO_UNDO}`]
      : ["- Undo:", ...data.risk.undo.map((u) => `  - ${u}`)]),
    "",
  );

  if (data.blockers.length > 0) out.push("## Blockers", "", ...data.blockers.map((f) => findingLine(f, plain)), "");
  if (data.warnings.length > 0) out.push("## Warnings", "", ...data.warnings.map((f) => findingLine(f, plain)), "");

  for (const [role, facts] of Object.entries(data.hostFacts)) {
    if (facts.length === 0) continue;
    out.push(`## Facts: ${role} (${code(data.hosts[role] ?? "?")})`, "");
    for (const f of facts) out.push(...valueLines(f.label, f.value, "", 0, plain));
    out.push("");
  }

  // Only kinds that copy data estimate it; "no estimate" would be noise for an image clone.
  if (data.estimate || wordsFor(data.kind).transfers) {
    out.push("## Estimate", "");
    out.push(
      data.estimate
        ? `About **${formatBytes(data.estimate.bytesToTransfer)}** (${data.estimate.bytesToTransfer} bytes) to transfer (the source's tree outside the excludes, as the ${code(data.estimate.stepId)} step measured it with du --apparent-size).`
        : "No step estimated the bytes to transfer.",
      "",
    );
  }

  if (data.checkpoints.length > 0) {
    out.push(
      "## Checkpoints",
      "",
      "Taken before the steps nothing else can undo; the Undo lines above give the command that returns to each.",
      "",
    );
    out.push(
      ...table(
        ["Checkpoint", "Of", "Where", "Disk at once (estimate)", "How estimated"],
        data.checkpoints.map((c) => [code(c.name), c.side, plain(c.label), formatBytes(c.costBytes), plain(c.costHow)]),
      ),
      "",
    );
  }

  if (data.excludes.length > 0) {
    out.push("## Not copied (excludes)", "");
    out.push(
      ...table(
        ["Path", "Why"],
        data.excludes.map((e) => [code(e.path), e.reason]),
      ),
      "",
    );
  }

  out.push("## Steps", "");
  for (const [i, step] of data.steps.entries()) {
    out.push(
      `### ${i + 1}. ${plain(step.title)} (${code(step.id)})${step.destructive ? " — asks before running" : ""}`,
      "",
    );
    out.push(`Status: **${STATUS_TEXT[step.status]}**${step.reason ? `: ${plain(step.reason)}` : ""}`, "");
    const byHost = new Map<string, typeof step.commands>();
    for (const c of step.commands) byHost.set(c.host, [...(byHost.get(c.host) ?? []), c]);
    // Each long command once, as the gate shows it (the freeze's four rsyncs in one lock shell); the JSON report has them whole.
    const shown = condenseCommands([...byHost.values()].flat(), () =>
      data.excludes.length > 0 ? ': "Not copied"' : ': "Not copied" in the JSON report',
    );
    for (const host of byHost.keys()) {
      out.push(`On **${host}**:`, "");
      out.push(
        ...fenced(
          shown
            .filter((s) => s.command.host === host)
            .flatMap(({ command: c, text, label }) => {
              const note = [label, commandNote(c)?.replace(/\n/g, " ")].filter(Boolean).join(" ");
              return note ? [`# ${note}`, text] : [text];
            }),
          "sh",
        ),
        "",
      );
    }
    if (shown.some((s) => s.refersTo))
      out.push(
        `Shortened: ${code(sharedMarker("(1)"))} stands for words the same as in command (1) above, ${code("[without: …]")} for words of (1) this one lacks; the JSON report (${code("--format json")}) has every command whole.`,
        "",
      );
    for (const d of step.details) out.push(`- ${plain(d)}`);
    if (step.details.length > 0) out.push("");
    for (const f of step.findings)
      out.push(
        `- ${f.blocks ? "BLOCKER" : f.acknowledged ? "acknowledged blocker" : f.severity}: ${plain(f.title)}: ${plain(f.summary)}${f.remediation ? ` (fix: ${plain(f.remediation)})` : ""}${f.acknowledged ? ` (acknowledged in the plan as ${plain(f.id ?? "")}: ${plain(f.acknowledged)})` : ""}`,
      );
    if (step.findings.length > 0) out.push("");
    const otherFacts = Object.entries(step.facts).filter(
      ([k, v]) => !hostOfKey(k, Object.keys(data.hosts)) && !isExcludeList(v),
    );
    if (otherFacts.length > 0) {
      out.push("Facts:", "");
      for (const [k, v] of otherFacts) out.push(...valueLines(k, v, "", 0, plain));
      out.push("");
    }
  }
  return out.join("\n");
}
