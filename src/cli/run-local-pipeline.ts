import type { Pipeline } from "../engine/step.js";
import type { RunMode } from "../engine/runner.js";
import { LocalHost } from "../hosts/local-host.js";
import { cmd } from "../hosts/quote.js";
import { redactUriPasswords } from "../journal/secrets.js";
import { argumentJournal } from "./arg-journal.js";
import { drivePipeline, resolveRunMode, type DriveFlags } from "./drive-pipeline.js";
import { resolveStateDir } from "./state-dir.js";
import { lockImage } from "./image-lock.js";
import type { LockFile } from "../journal/lock.js";

export interface LocalPipelineFlags extends DriveFlags {
  stateDir?: string;
  restart?: boolean;
}

export interface LocalPipelineRun {
  mode?: RunMode;
  /** The dry-run report (default: printed). */
  printReport?: boolean;
  /** Without the Markdown report: whether the command prints its blockers itself (doctor's report does; image info's chain does not). */
  ownOutputListsBlockers?: boolean;
  /** The command has a --restart flag: a failure that resuming would repeat then says to start over with it. */
  takesRestart?: boolean;
  /** The disk a changing run works on: one such run at a time on it (lockImage); a dry run takes no lock. */
  lockImage?: string;
}

/** Runs an argument-built pipeline on this machine; `argv` is the command line that resumes it. */
export async function runLocalPipeline<P>(
  kind: string,
  pipeline: Pipeline<P>,
  plan: P,
  flags: LocalPipelineFlags,
  argv: string[],
  run: LocalPipelineRun = {},
) {
  const hasGates = pipeline.steps.some((step) => step.destructive);
  const mode = run.mode ?? resolveRunMode(flags, undefined, undefined, hasGates);
  const printReport = run.printReport ?? true;
  const stateDir = resolveStateDir(flags.stateDir);
  const runFlags = [...(flags.yes ? ["--yes"] : []), ...(flags.stateDir ? ["--state-dir", stateDir] : [])];
  // Shown and journaled: a --connect URI's password is not (the journal's id comes from `plan`, unredacted).
  const commandLine = (...more: string[]) => redactUriPasswords(cmd("mudanza", ...argv, ...more));
  const ids = argumentJournal(kind, plan, commandLine());
  const image: { lock?: LockFile } = {};
  try {
    return await drivePipeline({
      pipeline,
      plan,
      mode,
      flags,
      stateDir,
      journal: { ...ids, kind, restart: flags.restart, keepReplaced: flags.restart },
      async connect(hosts) {
        // After the journal and the state dir were checked (bad input writes nothing), before anything is probed.
        if (run.lockImage && mode !== "dry-run") image.lock = await lockImage(run.lockImage, stateDir);
        hosts.local = new LocalHost("local");
      },
      resumeCommand: commandLine(...runFlags),
      restartCommand: run.takesRestart ? commandLine(...runFlags, "--restart") : undefined,
      printDryRunReport: printReport,
      reportListsBlockers: run.ownOutputListsBlockers ?? !printReport,
    });
  } finally {
    await image.lock?.release();
  }
}
