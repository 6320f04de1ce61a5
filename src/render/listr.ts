import { compensationLine } from "./compensation-line.js";
import type { Writable } from "node:stream";
import { Listr, ListrLogger, ProcessOutput, type ListrTaskWrapper, type VerboseRenderer } from "listr2";
import type { PipelineEvent } from "../engine/events.js";
import { emptyModel, reduce, type TuiModel } from "../tui/model.js";
import { cleanLine, describeProgress, formatDuration } from "./format.js";
import type { Renderer } from "./renderer.js";
import { TaskQueue } from "./task-queue.js";
import { ProgressThrottle } from "./throttle.js";
import { wordsFor } from "../report/kind-words.js";
import { describeHeadline } from "../report/headline-figures.js";
import { exitCodeForRun } from "../exit-codes.js";
import { commandNote } from "../engine/command-note.js";
import { runAgainAdvice, runAgainLine } from "./run-again-advice.js";

type VerboseTask = ListrTaskWrapper<unknown, typeof VerboseRenderer, typeof VerboseRenderer>;
type Message =
  | { kind: "output"; text: string }
  | { kind: "title"; text: string }
  | { kind: "done"; title?: string }
  | { kind: "skip"; reason: string }
  | { kind: "fail"; message: string };

/**
 * `--yes` without a terminal: listr2's verbose renderer, one plain line per state change ("[STARTED]",
 * "[OUTPUT]", "[COMPLETED]", "[FAILED]"), no cursor codes. The runner drives the tasks: each task waits
 * for its messages, which the event stream queues in order (preflight, one task per step, the result).
 */
export function createListrRenderer(out: Writable = process.stdout, progressEveryMs = 5000): Renderer {
  const throttle = new ProgressThrottle(progressEveryMs);
  let model: TuiModel = emptyModel();
  let queues: Array<TaskQueue<Message>> = [];
  let stepIndex = new Map<string, number>();
  let current = 0;
  let finished = false;
  let stopping = false;
  let running: Promise<unknown> = Promise.resolve();
  const blockedNotes: string[] = [];

  /** Tasks that got at least one message; the others, when the run ends first, are never started. */
  const touched = new Set<number>();
  const notReached = new Set<number>();
  const send = (index: number, message: Message): void => {
    touched.add(index);
    queues[index]?.push(message);
  };
  const finishIndex = (): number => queues.length - 1;
  /** Moves on to task `index`, closing every earlier task that never got an end (not reached). */
  const advance = (index: number): void => {
    for (let i = current; i < index; i++) {
      // listr2 evaluates `enabled` again when a task's turn comes: an untouched step is simply left out.
      if (touched.has(i)) send(i, { kind: "skip", reason: "not reached" });
      else {
        notReached.add(i);
        // listr2 may already have started it (it moves on as soon as the previous task ends): end it too.
        queues[i]?.push({ kind: "skip", reason: "not reached" });
      }
    }
    if (index > current) current = index;
  };
  /** A failed step ends the run: the steps after it are left out before listr2 moves on to the next one. */
  const leaveOutAfter = (index: number): void => {
    for (let i = index + 1; i < finishIndex(); i++) if (!touched.has(i)) notReached.add(i);
  };
  const say = (index: number, text: string): void => send(index, { kind: "output", text });

  const start = (event: Extract<PipelineEvent, { type: "pipeline-start" }>): void => {
    queues = [new TaskQueue<Message>(), ...event.steps.map(() => new TaskQueue<Message>()), new TaskQueue<Message>()];
    stepIndex = new Map(event.steps.map((s, i) => [s.id, i + 1]));
    const titles = [
      "Checks before anything changes",
      ...event.steps.map((s) => (event.resumed && s.status === "done" ? `${s.title} (done earlier)` : s.title)),
      "Result",
    ];
    const logger = new ListrLogger({
      useIcons: false,
      processOutput: new ProcessOutput(out as NodeJS.WriteStream, out as NodeJS.WriteStream),
    });
    const list = new Listr(
      titles.map((title, i) => ({
        title,
        enabled: () => !notReached.has(i),
        task: async (_ctx: unknown, task: VerboseTask) => drive(queues[i]!, task),
      })),
      {
        renderer: "verbose",
        fallbackRenderer: "verbose",
        rendererOptions: { logger, logTitleChange: false },
        exitOnError: false,
        registerSignalListeners: false,
        concurrent: false,
      },
    );
    say(
      0,
      `${event.title} (${event.kind}): ${Object.entries(event.hosts)
        .map(([r, a]) => `${r} ${a}`)
        .join(", ")}${event.resumed ? "; resuming" : ""}`,
    );
    if (event.journal) say(0, `journal: ${event.journal}`);
    running = list.run().catch(() => undefined);
  };

  const onEvent = (event: PipelineEvent): void => {
    const wasPreflight = model.preflight;
    model = reduce(model, event);
    if (event.type === "pipeline-start") return start(event);
    if (queues.length === 0 || finished) return;
    if (wasPreflight && !model.preflight && current === 0 && event.type !== "pipeline-end") {
      const warnings = model.steps.flatMap((s) =>
        s.findings.filter((f) => !f.blocks && f.severity === "warning"),
      ).length;
      send(0, {
        kind: "done",
        title: `Checks passed${warnings > 0 ? ` with ${warnings} warning${warnings === 1 ? "" : "s"}` : ""}`,
      });
      current = 1;
    }
    const stepTask = "stepId" in event ? stepIndex.get(event.stepId) : undefined;
    const title = (id: string): string => model.steps.find((s) => s.id === id)?.title ?? id;
    switch (event.type) {
      case "step-start":
        if (model.preflight) say(0, `checking: ${title(event.stepId)}`);
        else if (stepTask !== undefined) {
          advance(stepTask);
          if (event.phase !== "probe") say(stepTask, event.phase === "verify" ? "verifying" : "running");
        }
        return;
      case "step-probed": {
        const index = model.preflight ? 0 : (stepTask ?? current);
        for (const f of event.findings)
          say(
            index,
            `${f.blocks ? "BLOCKER" : f.severity.toUpperCase()}${f.host ? ` on ${f.host}` : ""}: ${f.title}: ${f.summary}${f.remediation ? ` (fix: ${f.remediation})` : ""}`,
          );
        if (event.satisfied && !model.preflight) say(index, `nothing to do: ${event.reason ?? "already satisfied"}`);
        return;
      }
      case "output":
        say(
          stepTask ?? current,
          `${event.host}${event.stream === "stderr" ? " (stderr)" : ""}: ${cleanLine(event.line)}`,
        );
        return;
      case "progress": {
        const last =
          event.progress.percent === 100 ||
          (event.progress.bytesTotal !== undefined && event.progress.bytesDone >= event.progress.bytesTotal);
        if (throttle.admit(event.stepId, last))
          say(
            stepTask ?? current,
            `${event.progress.label ? `${event.progress.label}: ` : ""}${describeProgress(event.progress)}`,
          );
        return;
      }
      case "prompt":
        say(stepTask ?? current, `gate: ${event.title} runs:`);
        for (const c of event.commands) {
          const note = commandNote(c);
          say(stepTask ?? current, `  on ${c.host}: ${c.command}${note ? `  (${note})` : ""}`);
        }
        for (const d of event.details) say(stepTask ?? current, `  ${d}`);
        return;
      case "prompt-answer":
        say(
          stepTask ?? current,
          `gate ${event.accepted ? "accepted" : "declined"}${event.by === "yes-flag" ? " by --yes" : ""}`,
        );
        return;
      case "step-end": {
        if (stepTask === undefined) return;
        if (model.preflight && event.status === "blocked") {
          blockedNotes.push(`${title(event.stepId)}: ${event.message ?? "blocked"}`);
          return;
        }
        advance(stepTask);
        for (const c of event.checks ?? [])
          say(stepTask, `${c.ok ? "ok" : "FAILED"}: ${c.name}${c.detail ? ` (${c.detail})` : ""}`);
        const named = `${title(event.stepId)} (${formatDuration(event.durationMs)})`;
        if (event.status === "done") send(stepTask, { kind: "done", title: named });
        else if (event.status === "skipped")
          send(stepTask, { kind: "skip", reason: `${title(event.stepId)}: ${event.message ?? "skipped"}` });
        else if (event.status === "pending") {
          // Declined at its gate (or interrupted before it began): nothing of it ran, so it did not fail.
          leaveOutAfter(stepTask);
          send(stepTask, { kind: "skip", reason: `${title(event.stepId)}: not run, ${event.message ?? "stopped"}` });
          stopping = true;
        } else {
          leaveOutAfter(stepTask);
          send(stepTask, { kind: "fail", message: `${named}: ${event.message ?? event.status}` });
          stopping = true;
        }
        current = stepTask + 1;
        return;
      }
      case "compensation":
        // Before the checks: left over from an earlier run; after a failed step: the run is stopping.
        say(stopping ? finishIndex() : Math.min(current, finishIndex()), compensationLine(event));
        return;
      case "pipeline-end": {
        if (current === 0 && event.status === "blocked")
          send(0, { kind: "fail", message: ["Blocked before anything changed:", ...blockedNotes].join("\n") });
        advance(finishIndex());
        const lines = [
          describeHeadline(event),
          event.message,
          event.log ? `log: ${event.log}` : undefined,
          event.journal ? `journal: ${event.journal}` : undefined,
          runAgainLine(runAgainAdvice(event)),
        ];
        for (const l of lines) if (l) say(finishIndex(), l);
        const elapsed = formatDuration(Date.parse(event.at) - model.startedAtMs);
        if (event.status === "done" || event.status === "dry-run")
          send(finishIndex(), {
            kind: "done",
            title: `${event.status === "done" ? wordsFor(model.kind).complete : "Dry run complete"} after ${elapsed}`,
          });
        else
          send(finishIndex(), {
            kind: "fail",
            message: `${event.status} after ${elapsed} (exit ${exitCodeForRun(event)})`,
          });
        finished = true;
        return;
      }
    }
  };

  return {
    sink: onEvent,
    async close() {
      // A run that ended without pipeline-end (a crash) still closes every task.
      if (queues.length > 0 && !finished) {
        advance(finishIndex());
        send(finishIndex(), { kind: "fail", message: "the run stopped without a result; see the journal" });
        finished = true;
      }
      await running;
    },
  };
}

async function drive(queue: TaskQueue<Message>, task: VerboseTask): Promise<void> {
  for (;;) {
    const message = await queue.next();
    switch (message.kind) {
      case "output":
        task.output = message.text;
        break;
      case "title":
        task.title = message.text;
        break;
      case "done":
        if (message.title) task.title = message.title;
        return;
      case "skip":
        task.skip(message.reason);
        return;
      case "fail":
        throw new Error(message.message);
    }
  }
}
