import { execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLI_PROCESS_TEST_TIMEOUT } from "../support/timeouts.js";
import { startCli, untilMarked } from "../support/cli-process.js";

let dir = "";
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = "";
});

/**
 * A `virsh` shim first on PATH that marks that a check reached it, then blocks (a libvirtd that does not
 * answer): both image sparsify's and host doctor's checks ask it, so Ctrl-C lands while they run.
 */
async function blockingVirsh(): Promise<{ marker: string; env: NodeJS.ProcessEnv }> {
  dir = await mkdtemp(join(tmpdir(), "mudanza-interrupted-checks-"));
  const bin = join(dir, "bin");
  const marker = join(dir, "virsh-blocked");
  await mkdir(bin);
  await writeFile(join(bin, "virsh"), `#!/bin/sh\n: > '${marker}'\nexec sleep 600\n`);
  await chmod(join(bin, "virsh"), 0o755);
  return { marker, env: { ...process.env, CI: "1", PATH: `${bin}:${process.env.PATH ?? ""}` } };
}

/** Runs the CLI (its arguments made in the test's folder), sends `signal` once the shim blocks, and returns how it ended. */
async function interrupt(args: (dir: string) => string[], signal: NodeJS.Signals = "SIGINT") {
  const { marker, env } = await blockingVirsh();
  const { child, output, ended } = startCli([...args(dir), "--state-dir", join(dir, "state")], { env, cwd: dir });
  await untilMarked(marker, child, () => `the CLI ended before a check blocked:\n${output.stdout}\n${output.stderr}`);
  child.kill(signal);
  return { code: (await ended).code, ...output };
}

/** A small qcow2 in the test's folder, as the trial made it. */
function smallDisk(dir: string): string {
  const disk = join(dir, "disk2.qcow2");
  execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", disk, "16M"]);
  return disk;
}

describe("Ctrl-C while the checks run (found by a new-user trial)", { timeout: CLI_PROCESS_TEST_TIMEOUT }, () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)(
    "image sparsify --yes, %s: exit %i with one 'interrupted' line, no blocker made up from commands cut short",
    async (signal, exit) => {
      const { code, stdout, stderr } = await interrupt((d) => ["image", "sparsify", smallDisk(d), "--yes"], signal);
      const output = stdout + stderr;
      expect({ code, output }).toMatchObject({ code: exit });
      expect(output).not.toMatch(/BLOCKER|missing|does not exist|not installed|blocked/);
      // Once by the face on stdout, and once in the end a --yes run also says on stderr (new-user trial 11).
      const said = new RegExp(`interrupted by ${signal} while checking the hosts`, "g");
      expect(stdout.match(said)).toHaveLength(1);
      expect(stderr.match(said)).toHaveLength(1);
      expect(stderr).toMatch(new RegExp(`^mudanza: the run was interrupted \\(exit ${exit}\\): `, "m"));
    },
  );

  it("host doctor: exit 130, no report built from checks cut short, and words that fit host doctor", async () => {
    const { code, stdout, stderr } = await interrupt(() => ["host", "doctor"]);
    expect({ code, stdout }).toEqual({ code: 130, stdout: "" });
    expect(stderr).toMatch(/^interrupted: interrupted by SIGINT while checking the hosts/m);
    expect(stderr).toContain("mudanza: no report: not every check answered (run it again for one)");
    expect(stderr).not.toMatch(/dry run|BLOCKER|terminating on signal/);
  });
});
