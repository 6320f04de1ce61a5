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
 * Both endpoints are this machine (transport: local), with `du` and `systemd-detect-virt` shims first on
 * PATH: each marks that a probe reached it, then blocks, like the copy-size `du -sx /` of a big tree.
 */
async function blockingWorld(): Promise<{
  planPath: string;
  stateDir: string;
  marker: string;
  env: NodeJS.ProcessEnv;
}> {
  dir = await mkdtemp(join(tmpdir(), "mudanza-interrupt-"));
  const bin = join(dir, "bin");
  const marker = join(dir, "probe-blocked");
  await mkdir(bin);
  for (const name of ["du", "systemd-detect-virt"]) {
    await writeFile(join(bin, name), `#!/bin/sh\n: > '${marker}'\nexec sleep 600\n`);
    await chmod(join(bin, name), 0o755);
  }
  const planPath = join(dir, "plan.yaml");
  await writeFile(
    planPath,
    "kind: openvz-to-kvm\nname: interrupted\nsource: {transport: local}\ntarget: {transport: local}\noptions:\n  targetAddressFromSource: 198.18.20.11\n",
  );
  return {
    planPath,
    stateDir: join(dir, "state"),
    marker,
    env: { ...process.env, MUDANZA_FROM_SOURCE: "1", CI: "1", PATH: `${bin}:${process.env.PATH ?? ""}` },
  };
}

describe("Ctrl-C during a dry run", { timeout: CLI_PROCESS_TEST_TIMEOUT }, () => {
  it("exits 130, says on stderr that it was interrupted, and prints no report as if it had finished", async () => {
    const world = await blockingWorld();
    const { child, output, ended } = startCli(["run", world.planPath, "--dry-run", "--state-dir", world.stateDir], {
      env: world.env,
    });
    await untilMarked(world.marker, child, () => "the CLI ended before any probe blocked");
    child.kill("SIGINT");
    const { code, signal } = await ended;
    const { stdout, stderr } = output;
    expect({ code, signal, stderr }).toMatchObject({ code: 130, signal: null });
    expect(stderr).toMatch(/interrupted by SIGINT/);
    expect(stderr).toMatch(/dry run was interrupted before every check answered: no report/);
    expect(stdout).toBe(""); // no "Blocked" report built from probes the interrupt cut short
  });
});
