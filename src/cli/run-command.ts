import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { BadInputError, InterruptedError } from "../errors.js";
import type { PipelineEvent } from "../engine/events.js";
import { runPipeline, type RunMode } from "../engine/runner.js";
import type { Host } from "../hosts/host.js";
import { connectHost } from "../hosts/connect.js";
import { Journal } from "../journal/journal.js";
import { loadPlan } from "../plan/load.js";
import { buildPipeline } from "../pipelines/registry.js";
import { collectDryRun, renderDryRunMarkdown } from "../report/dry-run-report.js";
import { createRenderer } from "./choose-renderer.js";
import { resolveInteractive } from "./interactive.js";
import { resolveStateDir } from "./state-dir.js";
import { shellQuote } from "../hosts/quote.js";

export interface RunCommandOptions {
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  format?: "md" | "json";
  stateDir?: string;
  restart?: boolean;
}

/** `mudanza run PLAN`: the thin layer between flags and the runner. Returns the exit code. */
export async function runCommand(planPath: string, options: RunCommandOptions): Promise<number> {
  const loaded = await loadPlan(planPath);
  const interactive = resolveInteractive(options);
  if (!interactive && !options.yes && !options.dryRun) {
    throw new BadInputError("stdout is not a terminal, so gates cannot be confirmed: pass --yes to accept them, or --dry-run to only check");
  }
  if (options.format && !options.dryRun) throw new BadInputError("--format applies to --dry-run reports");
  const mode: RunMode = options.dryRun ? "dry-run" : interactive ? "interactive" : "yes";
  const stateDir = resolveStateDir(options.stateDir);
  const pipeline = await buildPipeline(loaded.plan);

  const journal = await Journal.open({
    stateDir,
    migrationId: loaded.migrationId,
    kind: loaded.plan.kind,
    planPath: loaded.path,
    planHash: loaded.hash,
    restart: options.restart,
    readOnly: mode === "dry-run",
  });
  const hosts: Record<string, Host> = {};
  const controller = new AbortController();
  const onSignal = (signal: "SIGINT" | "SIGTERM") => () => controller.abort(new InterruptedError(signal));
  const onInt = onSignal("SIGINT");
  const onTerm = onSignal("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  const logPath = join(stateDir, `${loaded.migrationId}.log.ndjson`);
  const renderer = await createRenderer({ mode, json: options.json, dryRun: options.dryRun, abort: (s) => controller.abort(new InterruptedError(s)) });
  try {
    hosts.source = await connectHost(loaded.plan.source, "source");
    hosts.target = await connectHost(loaded.plan.target, "target");
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const logLines: string[] = [];
    let flushing = Promise.resolve();
    const sink = (event: PipelineEvent): void => {
      renderer.sink(event);
      if (mode === "dry-run") return;
      logLines.push(JSON.stringify(event));
      flushing = flushing.then(() => appendFile(logPath, logLines.splice(0).join("\n") + "\n", { mode: 0o600 })).catch(() => undefined);
    };
    const resumeCommand = ["mudanza", "run", shellQuote(loaded.path), ...(options.yes ? ["--yes"] : []), ...(options.stateDir ? ["--state-dir", shellQuote(stateDir)] : [])].join(" ");
    const outcome = await runPipeline({
      pipeline,
      plan: loaded.plan,
      hosts,
      journal,
      mode,
      sink,
      confirm: renderer.confirm,
      signal: controller.signal,
      resumeCommand,
      logPath: mode === "dry-run" ? undefined : logPath,
    });
    await flushing;
    await renderer.close();
    if (mode === "dry-run") {
      const skipped = Object.fromEntries(pipeline.steps.flatMap((s) => (outcome.probes[s.id] ? [] : [[s.id, "not probed"]])));
      const data = collectDryRun(pipeline, Object.fromEntries(Object.entries(hosts).map(([r, h]) => [r, h.address])), outcome.probes, skipped);
      process.stdout.write(options.format === "json" ? JSON.stringify(data, null, 2) + "\n" : renderDryRunMarkdown(data) + "\n");
    }
    return outcome.exitCode;
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
    await renderer.close();
    await Promise.all(Object.values(hosts).map((h) => h.close().catch(() => undefined)));
    await journal.close();
  }
}
