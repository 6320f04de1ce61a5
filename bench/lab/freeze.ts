import { join } from "node:path";
import type { Lab } from "../../src/lab/lab.js";
import type { LabSsh } from "../../src/lab/ssh-client.js";
import { startCommand, stopCommand } from "../../src/steps/openvz-to-kvm/db-freeze.js";
import type { DatabaseFact } from "../../src/steps/openvz-to-kvm/facts.js";
import type { SyncPassRecord } from "../../src/steps/openvz-to-kvm/sync.js";
import { freezeUnits } from "../../src/steps/services/freeze-units.js";
import { readJournalFacts, runCli } from "../../test/lab/support/run-cli.js";
import { DbWriter } from "../../test/lab/support/writer.js";
import { finalPassCommand, freezeBreakdown, freezePartRows, freezeParts, freezeRows } from "./rows.js";
import { grantSourcePush } from "./source-push.js";
import type { BenchRow } from "../types.js";

const PASS_TIMEOUT_MS = 20 * 60_000;

/** One timed script on the source: its own clock, so no SSH connection set-up is counted. */
interface Timed {
  seconds: number;
  /** rsync's "Number of regular files transferred" of the timed pass */
  filesSent: string;
}

/**
 * Runs the pass command in a subshell (it ends in `exec rsync`), its output in a scratch file the script
 * removes; rsync exit 24 (files vanished) is accepted as the pipeline accepts it.
 */
const pass = (command: string, rc: string): string =>
  `( ${command} ) >"$out" 2>"$err"; ${rc}=$?; test "$${rc}" -eq 0 -o "$${rc}" -eq 24 || { tail -3 "$err" >&2; rm -f "$out" "$err"; exit 96; }`;

async function timedOnSource(source: LabSsh, body: string): Promise<Timed> {
  const script = [
    "out=$(mktemp); err=$(mktemp)",
    body,
    `sent=$(sed -n 's/^.*Number of regular files transferred: //p' "$out")`,
    'rm -f "$out" "$err"',
    'echo "ns=$((t1 - t0)) sent=$sent"',
  ].join("\n");
  const stdout = await source.run(script, { timeoutMs: PASS_TIMEOUT_MS });
  const match = /ns=(\d+) sent=(\S*)/.exec(stdout);
  if (!match) throw new Error(`the timed script printed no time: ${stdout.trim()}`);
  return { seconds: Number(match[1]) / 1e9, filesSent: match[2] || "?" };
}

/** The seed's recipe: a live pass, then stop the databases, a full second pass, start them (that is the window). */
async function recipeWindow(source: LabSsh, command: string, units: string[]): Promise<Timed> {
  return timedOnSource(
    source,
    [
      pass(command, "live"),
      "t0=$(date +%s%N)",
      `${stopCommand(units)} || exit 97`,
      pass(command, "rc"),
      `${startCommand(units)} || exit 98`,
      "t1=$(date +%s%N)",
    ].join("\n"),
  );
}

/** The floor: with the databases stopped and the trees converged, one more pass that finds nothing to send. */
async function floorScan(source: LabSsh, command: string, units: string[]): Promise<Timed> {
  return timedOnSource(
    source,
    [
      `${stopCommand(units)} || exit 97`,
      pass(command, "converge"),
      "t0=$(date +%s%N)",
      pass(command, "rc"),
      "t1=$(date +%s%N)",
      `${startCommand(units)} || exit 98`,
    ].join("\n"),
  );
}

/**
 * Row 4: a migration with a writer inserting rows, stopped (SIGINT) as soon as db-freeze is done; its
 * recorded freeze window, then right after on the same hosts the recipe's window and the floor with db-freeze's
 * own final pass command, `rounds` times each, the writer still inserting.
 */
export async function measureFreeze(lab: Lab, rounds: number, log: (line: string) => void): Promise<BenchRow[]> {
  const plan = await lab.writePlan(join(lab.runDir, "bench-freeze.yaml"), { skipPreUpdate: true }, "bench-freeze");
  const writer = new DbWriter(lab.source);
  writer.start();
  try {
    let interrupted = false;
    const started = Date.now();
    const run = await runCli(
      ["run", plan, "--yes", "--state-dir", lab.stateDir],
      join(lab.runDir, "cli.log"),
      (event, child) => {
        // Everything the freeze row needs is done; the kernel install and reboot would add ~10 min for nothing.
        if (!interrupted && event.type === "step-end" && event.stepId === "db-freeze") {
          interrupted = true;
          child.kill("SIGINT");
        }
      },
    );
    const end = run.events.find((e) => e.type === "step-end" && e.stepId === "db-freeze");
    if (end?.status !== "done")
      throw new Error(
        `db-freeze ended ${String(end?.status ?? "never")} (${String(end?.message ?? "")}); CLI exit ${run.code}: ${run.stderr.slice(-1000)}`,
      );
    log(`lab-freeze: the migration reached the end of db-freeze in ${Math.round((Date.now() - started) / 1000)} s`);
    const facts = await readJournalFacts(run.events);
    const toolSec = facts.freezeWindowSec;
    if (typeof toolSec !== "number") throw new Error("the journal holds no freezeWindowSec");
    const record = facts.databases as DatabaseFact;
    const units = freezeUnits({ services: record.units, triggers: record.triggers ?? [] });
    const passes = (facts.syncPasses ?? []) as SyncPassRecord[];
    for (const p of passes)
      log(
        `lab-freeze: ${p.kind} pass ${p.pass}: ${p.seconds} s, ${p.files} files, ${p.transferredBytes} bytes sent (${p.compare})`,
      );
    log(`lab-freeze: the tool's freeze window ${toolSec} s (${units.join(", ")} stopped)`);
    if (facts.freezeProof) log(`lab-freeze: the proof after the thaw: ${JSON.stringify(facts.freezeProof)}`);
    const finalPass = passes.filter((p) => p.kind === "final").at(-1);
    const parts = freezeParts(record, facts.finalSyncAt as string | undefined, finalPass);
    log(`lab-freeze: within it: ${freezeBreakdown(parts)}`);
    const command = finalPassCommand(run.events);
    const recipe: number[] = [];
    const floor: number[] = [];
    const revoke = await grantSourcePush(lab);
    try {
      for (let round = 0; round < rounds; round++) {
        const r = await recipeWindow(lab.source, command, units);
        const f = await floorScan(lab.source, command, units);
        log(
          `lab-freeze: round ${round + 1}: recipe window ${r.seconds.toFixed(2)} s (its frozen pass sent ${r.filesSent} files), no-change scan ${f.seconds.toFixed(2)} s (sent ${f.filesSent} files)`,
        );
        recipe.push(r.seconds);
        floor.push(f.seconds);
      }
    } finally {
      await revoke();
    }
    return [...freezeRows(toolSec, recipe, floor), ...freezePartRows(toolSec, parts)];
  } finally {
    await writer.stop();
    log(`lab-freeze: the writer had ${writer.acked.length} rows acknowledged over ${writer.sessions} sessions`);
  }
}
