import { existsSync } from "node:fs";
import { BadInputError } from "../errors.js";
import { journalPathFor } from "../journal/journal-names.js";
import { journalsOfOtherPlanFiles, otherPlanFilesText } from "../journal/other-plan-journals.js";
import { declinedGateHint } from "../plan/kind-docs.js";
import { journalStemFor } from "../journal/journal-file.js";
import { loadPlan, type LoadedPlan } from "../plan/load.js";
import { lockHostPair, type HostPairLock } from "./hosts-lock.js";
import { buildPipeline } from "../pipelines/registry.js";
import { connectHost } from "../hosts/connect.js";
import { connectCheckpointHosts } from "../checkpoints/index.js";
import { cmd, pasteable, shellQuote } from "../hosts/quote.js";
import { drivePipeline, resolveRunMode } from "./drive-pipeline.js";
import type { RunMode } from "../engine/runner.js";
import { resolveStateDir } from "./state-dir.js";
import { exitCodeForRun } from "../exit-codes.js";
import { traceTiming } from "../hosts/timing-trace.js";
import { refuseUnfinishedRollback } from "./unfinished-rollback.js";

export interface RunCommandOptions {
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  format?: "md" | "json";
  stateDir?: string;
  restart?: boolean;
  /**
   * The plan, its state dir and its hosts are removed once the run ends (the demo's lab without --keep): the
   * end names none of them and says this instead of how to resume (given the step whose gate was declined).
   */
  insteadOfResuming?: (declinedStepId: string | undefined) => string;
}

/** `mudanza run PLAN`: the thin layer between flags and the runner. Returns the exit code. */
export async function runCommand(planPath: string, options: RunCommandOptions): Promise<number> {
  const loaded = await loadPlan(planPath);
  const mode = resolveRunMode(options);
  const stateDir = resolveStateDir(options.stateDir);
  const pipeline = await buildPipeline(loaded.plan, loaded.path);
  const hostPair: { lock?: HostPairLock } = {};
  try {
    return exitCodeForRun(await drivePlan(loaded, pipeline, mode, stateDir, options, hostPair));
  } finally {
    await hostPair.lock?.release();
  }
}

async function drivePlan(
  loaded: LoadedPlan,
  pipeline: Awaited<ReturnType<typeof buildPipeline>>,
  mode: RunMode,
  stateDir: string,
  options: RunCommandOptions,
  hostPair: { lock?: HostPairLock },
) {
  const resumeCommand = [
    "mudanza",
    "run",
    pasteable(loaded.path),
    ...(options.yes ? ["--yes"] : []),
    ...(options.stateDir ? ["--state-dir", shellQuote(stateDir)] : []),
  ].join(" ");
  const fileStem = await journalStemFor(stateDir, loaded.migrationId, loaded.path);
  await refuseMovedPlan(loaded, stateDir, fileStem, Boolean(options.restart));
  if (loaded.plan.kind === "openvz-to-kvm" && !options.restart)
    await refuseUnfinishedRollback(loaded, stateDir, fileStem, Boolean(options.stateDir));
  return drivePipeline({
    pipeline,
    plan: loaded.plan,
    mode,
    flags: options,
    stateDir,
    journal: {
      migrationId: loaded.migrationId,
      fileStem,
      kind: loaded.plan.kind,
      planPath: loaded.path,
      planHash: loaded.hash,
      planTextHash: loaded.textHash,
      planKeyHashes: loaded.keyHashes,
      formerPlanHashes: loaded.formerHashes,
      restart: options.restart,
      keepReplaced: options.restart,
    },
    async connect(hosts, facts, signal) {
      // After the journal and the state dir were checked (bad input writes nothing), before any host is reached.
      if (mode !== "dry-run") hostPair.lock = await lockHostPair(loaded.plan.source, loaded.plan.target, stateDir);
      const expected = pipeline.expectedHostKeys?.(facts) ?? {};
      // Both at once: a slow host's handshake need not wait for the other's. A dry run only reads, so its
      // commands asked together may share a session.
      const batchCommands = mode === "dry-run";
      traceTiming("plan loaded: connecting to source and target");
      const [source, target] = await Promise.allSettled(
        (["source", "target"] as const).map((role) =>
          connectHost(loaded.plan[role], role, { acceptHostKeys: expected[role], batchCommands, signal }),
        ),
      );
      // In the plan's order; one that connected is kept even when the other failed, so it gets closed.
      if (source!.status === "fulfilled") hosts.source = source!.value;
      if (target!.status === "fulfilled") hosts.target = target!.value;
      const failures = [source!, target!].flatMap((s) => (s.status === "rejected" ? [s.reason as unknown] : []));
      // Ctrl-C ends both connections with the interruption: that, not each host's message, is why it ended.
      if (signal.aborted) throw signal.reason;
      if (failures.length > 0) throw namingEveryHost(failures);
      if (loaded.plan.kind === "openvz-to-kvm") await connectCheckpointHosts(loaded.plan.checkpoints, hosts, signal);
    },
    resumeCommand,
    restartCommand: `${resumeCommand} --restart`,
    // Its hint edits the plan and resumes: neither is there to do when they are removed.
    declinedHint: options.insteadOfResuming
      ? undefined
      : (stepId) => declinedGateHint(loaded.plan.kind, stepId, loaded.path, resumeCommand),
    insteadOfResuming: options.insteadOfResuming,
  });
}

/**
 * A plan with no journal of its own whose migration has one for another plan file: a run would start the
 * migration over from its first step beside that journal (pending compensations and all). When that file is
 * gone the plan was moved; when it is there and its run is under way, this is a copy of it (found by a
 * new-user trial: a copy silently started over on the same hosts). --restart says to start over anyway.
 */
async function refuseMovedPlan(
  loaded: LoadedPlan,
  stateDir: string,
  fileStem: string,
  restart: boolean,
): Promise<void> {
  if (existsSync(journalPathFor(stateDir, fileStem))) return;
  const others = await journalsOfOtherPlanFiles(stateDir, loaded.migrationId, loaded.path);
  // After a cutover the VM is production: a run starting over would copy the stopped source onto it.
  const cutOver = others.find((o) => o.cutoverAt);
  if (cutOver)
    throw new BadInputError(
      `migration "${loaded.migrationId}" cut over at ${cutOver.cutoverAt} from another plan file: ${cutOver.id} (plan ${cutOver.planPath}). ` +
        `Its VM is production now and its source stays stopped: a run of ${loaded.path} would start over and copy the source onto the VM. ` +
        `If this is another migration, give it a name of its own (name: in the plan); \`mudanza status ${cutOver.id}\` shows that one`,
    );
  const moved = others.filter((o) => !o.planThere);
  const underWay = others.filter((o) => o.planThere && o.underWay);
  if (moved.length === 0 && underWay.length === 0) return;
  const pending = others.flatMap((o) => o.pendingCompensations.map((c) => `${c} (run ${o.id})`));
  // --restart starts over beside that journal, which is fine unless it still has something to undo.
  if (restart && pending.length === 0) return;
  const orStartOver =
    "To start the migration over from this plan file instead (that journal stays as it is), pass --restart";
  if (moved.length === 0) {
    const original = underWay[0]!;
    throw new BadInputError(
      `migration "${loaded.migrationId}" is under way from another plan file: ${original.id} (plan ${original.planPath}) ${original.underWay}. ` +
        `Journals are kept per plan file path, so a run of ${loaded.path} would start it over from the first step on its hosts. ` +
        `Go on with that plan file (${cmd("mudanza", "run", original.planPath)}); if this is another migration, give it a name of its own (name: in the plan)` +
        (pending.length > 0
          ? `. That run left undone: ${pending.join("; ")}; run it once, which does that first`
          : `. ${orStartOver}`),
    );
  }
  // A new journal here would never run what the old one left to undo: only the move back is offered then.
  throw new BadInputError(
    pending.length > 0
      ? `${otherPlanFilesText(loaded.migrationId, loaded.path, others)}. That run left undone: ${pending.join("; ")}; move the plan back and run it once, which does that first`
      : `${otherPlanFilesText(loaded.migrationId, loaded.path, others)}. ${orStartOver}`,
  );
}

/**
 * Every host that could not be connected, not only the first: the admin fixes both before trying again. The
 * first error is kept (its kind gives the exit code), its message holding each host's on a line.
 */
function namingEveryHost(failures: unknown[]): unknown {
  const [first] = failures;
  if (failures.length > 1 && first instanceof Error)
    first.message = failures.map((f) => (f instanceof Error ? f.message : String(f))).join("\n");
  return first;
}
