import { copyFile, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { processStartTime } from "../../src/hosts/process-identity.js";
import { lockHostPair } from "../../src/cli/hosts-lock.js";
import { loadPlan } from "../../src/plan/load.js";
import { runMain } from "../support/main-cli.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs();
const temp = () => tempDir("mudanza-same-hosts-");
const FIXTURE_PLAN = resolve("fixtures/plans/ovz-kvm-debian-12.yaml");

/** The fixture plan in a folder of its own, its scripted hosts named by absolute path (found from any copy). */
async function planIn(dir: string, name: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const text = (await readFile(FIXTURE_PLAN, "utf8")).replaceAll("../hosts/", `${resolve("fixtures/hosts")}/`);
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe("one migration per plan, and per pair of hosts (found by a new-user trial)", () => {
  it("a plan reached through a symlink is the same plan: the same path, so the same journal", async () => {
    const dir = await temp();
    const real = await planIn(join(dir, "plans"), "web1.yaml");
    await symlink(real, join(dir, "link.yaml"));
    const viaLink = await loadPlan(join(dir, "link.yaml"));
    expect(viaLink.path).toBe(real);
    expect(viaLink.migrationId).toBe((await loadPlan(real)).migrationId);
  });

  it("a copy of a plan cannot run while another run works on the same source and target", async () => {
    const dir = await temp();
    const state = join(dir, "state");
    const first = await planIn(join(dir, "a"), "web1.yaml");
    const copy = join(dir, "b", "web1.yaml");
    await mkdir(join(dir, "b"));
    await copyFile(first, copy);
    // Another live process holds the pair's lock: pid 1, with its real start time.
    const { plan } = await loadPlan(first);
    const lock = await lockHostPair(plan.source, plan.target, state);
    await writeFile(
      lock.path,
      JSON.stringify({ pid: 1, startTime: processStartTime(1), since: "", command: `mudanza run ${first} --yes` }),
    );
    const refused = await runMain(["run", copy, "--yes", "--state-dir", state]);
    expect(refused.code).toBe(3);
    expect(refused.err).toContain("another run works on the same source and target");
    expect(refused.err).toContain(`(mudanza run ${first} --yes)`);
    // A dry run changes nothing: it is not held back.
    expect((await runMain(["run", copy, "--dry-run", "--state-dir", state])).code).toBe(0);
    await lock.release();
    const after = await runMain(["run", copy, "--yes", "--state-dir", state]);
    expect(after.err).not.toContain("another run works");
  });
});
