import { compensationLine } from "../render/compensation-line.js";
import type { Finding } from "../engine/finding.js";
import type { GatePrompt } from "../engine/runner.js";
import { cleanLine, formatDuration } from "../render/format.js";
import { runAgainAdvice } from "../render/run-again-advice.js";
import { failedStep, warningsOf, warningText, type CompensationView, type EndView, type TuiModel } from "./model.js";
import { wordsFor } from "../report/kind-words.js";
import { describeHeadline } from "../report/headline-figures.js";
import { commandNote } from "../engine/command-note.js";
import { condenseCommands, sharedMarker, type ShownCommand } from "../render/condense-commands.js";

/** Panel contents as plain lines, so their height is known before Ink lays them out. */
export interface PanelLine {
  text: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
  /** Cut to one row instead of wrapping (output lines; the log has them whole). */
  truncate?: boolean;
}

/**
 * Word-wraps one line into rows of at most `width` characters; continuation rows are indented under the
 * text (not under the bullet). Done here, not by Ink, so the layout knows every panel's exact height.
 */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(10, width);
  const chars = [...text];
  if (chars.length <= w) return [text];
  const lead = /^\s*(?:[•│$#]\s|on \S+: )?/.exec(text)?.[0].length ?? 0;
  const indent = " ".repeat(Math.min(lead + 2, Math.floor(w / 3)));
  const rows: string[] = [];
  let rest = text;
  let prefix = "";
  while ([...(prefix + rest)].length > w) {
    const room = w - [...prefix].length;
    const slice = [...rest].slice(0, room + 1).join("");
    let cut = slice.lastIndexOf(" ");
    if (cut <= 0 || cut < room / 3) cut = room; // one long word (a path): cut it hard
    rows.push(prefix + [...rest].slice(0, cut).join("").trimEnd());
    rest = [...rest].slice(cut).join("").replace(/^ /, "");
    prefix = indent;
  }
  if (rest.length > 0) rows.push(prefix + rest);
  return rows;
}

/** Lines to screen rows: every returned row fits `width`. */
export function toRows(lines: PanelLine[], width: number): PanelLine[] {
  // Messages may carry a remote command's colour codes or newlines: one clean row per line of text.
  return lines.flatMap((line) =>
    line.text.split("\n").flatMap((raw) => {
      const l = { ...line, text: cleanLine(raw) };
      return l.truncate ? [l] : wrapText(l.text, width).map((text) => ({ ...l, text }));
    }),
  );
}

export function panelRows(lines: PanelLine[], columns: number): number {
  return toRows(lines, columns).length;
}

/**
 * Exactly what a gate will run, host by host in run order, with the probe's details ("would delete 12
 * files"). `otherWarnings` are the checks' warnings of other steps: the first gate shows them all, since
 * a step without a gate has no other place to show its warnings before something changes.
 */
export function gateLines(
  prompt: GatePrompt,
  findings: Finding[] = [],
  otherWarnings: Finding[] = [],
  /** Every command whole (the f key), not each long one once with later ones shortened. */
  wholeCommands = false,
): PanelLine[] {
  const lines: PanelLine[] = [
    { text: `Next: ${prompt.title} — this step changes things`, bold: true, color: "yellow" },
  ];
  // What it means first (what stops, for how long, what can undo it), then the commands, which may fill
  // several screens (new-user trial 9: the summary came last, under every pass's shell).
  for (const d of prompt.details) lines.push({ text: `  • ${d}`, color: "yellow" });
  // The probe's warnings for this step belong next to the question, not only in the log.
  for (const f of findings.filter((x) => !x.blocks && x.severity === "warning"))
    lines.push({ text: `  ! ${warningText(f)}`, color: "yellow" });
  if (otherWarnings.length > 0) {
    lines.push({ text: "Warnings from the checks:", bold: true, color: "yellow" });
    for (const f of otherWarnings) lines.push({ text: `  ! ${warningText(f)}`, color: "yellow" });
  }
  if (prompt.commands.length === 0) lines.push({ text: "  (the step lists no commands)" });
  else lines.push({ text: "What it runs, host by host in order:", bold: true });
  let host: string | undefined;
  // The freeze's four rsyncs in the same lock shell were 347 rows at 80 columns (new-user trial 9, smaller things).
  const shown: ShownCommand[] = wholeCommands
    ? prompt.commands.map((command) => ({ command, text: command.command }))
    : condenseCommands(prompt.commands, () => "; f shows them");
  for (const { command: c, text, label } of shown) {
    if (c.host !== host) lines.push({ text: `On ${c.host}:`, bold: true });
    host = c.host;
    const note = [label, commandNote(c)].filter(Boolean).join(" ");
    if (note) lines.push({ text: `  # ${note}`, dim: true });
    lines.push({ text: `  $ ${text}` });
  }
  if (shown.some((s) => s.refersTo))
    lines.push({
      text: `Shortened: ${sharedMarker("(1)")} stands for words the same as in command (1) above, [without: …] for words of (1) this one lacks. f shows every command whole; the run's log (.log.ndjson, its "prompt" event) keeps them whole too.`,
      dim: true,
    });
  return lines;
}

const compensationPanelLine = (c: CompensationView): PanelLine => ({
  text: `${c.notRun ? "  · " : c.ok ? "  ↺ " : "  ✖ "}${compensationLine(c)}`,
  color: c.ok ? undefined : "red",
});

export const GATE_QUESTION: PanelLine = {
  text: "Run this step? [y/N]  y = yes, Enter or n = no, q = abort",
  bold: true,
};

const END_TITLE: Record<NonNullable<TuiModel["end"]>["status"], string> = {
  done: "✔ ", // + the kind's own words: an image clone is not a migration
  "dry-run": "✔ Dry run complete: nothing was changed",
  failed: "✖ Failed",
  blocked: "⊘ Blocked before anything changed",
  interrupted: "■ Stopped at your request (Ctrl-C / q)",
  declined: "■ Stopped at the gate",
};

/**
 * The end of a run: plain-words error, the step's last output, every warning, where the log is, how to
 * resume. `detailedWarnings` false lists only their titles (a short terminal).
 */
export function endLines(model: TuiModel, tailLines: number, detailedWarnings = true): PanelLine[] {
  const end = model.end;
  if (!end) return [];
  const ok = end.status === "done" || end.status === "dry-run";
  const lines: PanelLine[] = model.notice ? [{ text: model.notice, color: "yellow" }] : [];
  const step = ok ? undefined : failedStep(model);
  const title =
    END_TITLE[end.status] +
    (end.status === "done" ? wordsFor(model.kind).complete : "") +
    (step && end.status === "failed" ? `: ${step.title}` : "");
  lines.push({
    text: `${title} after ${formatDuration(end.atMs - model.startedAtMs)}`,
    bold: true,
    color: ok ? "green" : "red",
  });
  const headline = describeHeadline(end);
  if (headline) lines.push({ text: headline, bold: true });
  // A message of several lines (a command's stderr in it) continues indented: its later lines are not new messages.
  if (end.message) end.message.split("\n").forEach((m, i) => lines.push({ text: i === 0 ? m : `  ${m}` }));
  if (end.status === "blocked") {
    for (const f of model.steps.flatMap((s) => s.findings.filter((x) => x.blocks))) {
      if (f.remediation) lines.push({ text: `  fix (${f.title}): ${f.remediation}`, color: "yellow" });
    }
  }
  if (step && !ok && step.output.length > 0 && tailLines > 0) {
    lines.push({ text: `Last output of "${step.title}":` });
    // Wrapped, not cut: the end of an error line is usually the part that explains it.
    for (const o of step.output.slice(-tailLines)) {
      // An output line can hold several (a command's stderr given whole): each keeps the box's edge.
      const [first, ...rest] = o.line.split(/\r?\n/);
      lines.push({ text: `  │ ${o.host}: ${first}` });
      for (const more of rest) lines.push({ text: `  │ ${" ".repeat(o.host.length + 2)}${more}` });
    }
  }
  // What an earlier run left pending ran first, before anything this run did: said apart, so it does not read
  // as the undo of this run's stop (new-user trial 9, finding 7).
  const earlier = model.compensations.filter((c) => c.earlierRun);
  const own = model.compensations.filter((c) => !c.earlierRun);
  if (earlier.length > 0)
    lines.push({
      text: "At its start, this run ran the undo an earlier run left pending (each line says how it went):",
    });
  for (const c of earlier) lines.push(compensationPanelLine(c));
  if (earlier.length > 0 && own.length > 0) lines.push({ text: "Then, as this run stopped:" });
  for (const c of own) lines.push(compensationPanelLine(c));
  const warnings = warningsOf(model);
  if (warnings.length > 0 && detailedWarnings) {
    lines.push({ text: `${warnings.length} warning${warnings.length === 1 ? "" : "s"}:`, color: "yellow", bold: true });
    for (const w of warnings) lines.push({ text: `  ! ${warningText(w)}`, color: "yellow" });
  } else if (warnings.length > 0)
    lines.push({
      text: `${warnings.length} warning${warnings.length === 1 ? "" : "s"} (in the report): ${warnings.map((w) => w.title).join("; ")}`,
      color: "yellow",
    });
  return lines;
}

/**
 * The end's paths and resume command, printed after the TUI's last frame as plain lines: the terminal wraps
 * them, so a copy is whole. In a panel a path wider than the screen was cut in two rows, and a resume
 * command's long word truncated with "…" (found by a new-user trial).
 */
export function endCopyLines(end: EndView): string[] {
  const lines: string[] = [];
  // Printed raw after Ink: control characters in a path (a plan named so) must not reach the terminal.
  const push = (...texts: string[]) => lines.push(...texts.map(cleanLine));
  if (end.log) push(`Full log: ${end.log}`);
  if (end.journal) push(`Journal: ${end.journal}`);
  // drivePipeline writes the run report next to the journal once the run ends.
  if (end.status !== "dry-run" && end.journal?.endsWith(".journal.json"))
    push(`Report: ${end.journal.replace(/\.journal\.json$/, ".report.md")}`);
  const advice = runAgainAdvice(end);
  if (advice?.command) push(`${advice.lead}:`, `  ${advice.command}`);
  else if (advice) push(advice.lead);
  return lines;
}
