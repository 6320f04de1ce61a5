import { copyFile, mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { processStartTime } from "../../src/hosts/process-identity.js";
import { lockHostPair } from "../../src/cli/hosts-lock.js";
import { loadPlan } from "../../src/plan/load.js";
import { runMain } from "../support/main-cli.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs();
const temp = () => tempDir("mudanza-same-hosts-");
const FIXTURE_PLAN = resolve("fixtures/plans/ovz-kvm-debian-12.yaml");
afterEach(() => vi.unstubAllEnvs());

/** The fixture plan in a folder of its own, its scripted hosts named by absolute path (found from any copy). */
async function planIn(dir: string, name: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const text = (await readFile(FIXTURE_PLAN, "utf8")).replaceAll("../hosts/", `${resolve("fixtures/hosts")}/`);
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** Makes the lock at `path` another live process's, as another run's would be: pid 1, with its real start time. */
const heldByAnotherRun = (path: string, command: string) =>
  writeFile(path, JSON.stringify({ pid: 1, startTime: processStartTime(1), since: "", command }));

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
    const { plan } = await loadPlan(first);
    const lock = await lockHostPair(plan.source, plan.target, state);
    await heldByAnotherRun(lock.path, `mudanza run ${first} --yes`);
    const refused = await runMain(["run", copy, "--yes", "--state-dir", state]);
    // Busy, not blocked: the same command goes ahead once that run ends, so a script may retry it (75, EX_TEMPFAIL).
    expect(refused.code).toBe(75);
    expect(refused.err).toContain("another run works on the same source and target");
    expect(refused.err).toContain(`(mudanza run ${first} --yes)`);
    const asEvents = await runMain(["run", copy, "--yes", "--json", "--state-dir", state]);
    expect(asEvents.code).toBe(75);
    expect(JSON.parse(asEvents.out.trim().split("\n").at(-1)!)).toMatchObject({
      type: "pipeline-end",
      status: "blocked",
      exitCode: 75,
    });
    // A dry run changes nothing: it is not held back.
    expect((await runMain(["run", copy, "--dry-run", "--state-dir", state])).code).toBe(0);
    await lock.release();
    const after = await runMain(["run", copy, "--yes", "--state-dir", state]);
    expect(after.err).not.toContain("another run works");
  });

  it("two state dirs cannot work on the same hosts over ssh at once: the pair is also locked on this machine (new-user trial 11)", async () => {
    const dir = await temp();
    const ssh = (host: string) => ({
      transport: "ssh" as const,
      host,
      port: 22,
      user: "root",
      sudo: false,
      connectTimeoutSec: 10,
    });
    // A lock dir of this test's own: the test run's shared one holds the locks of other files' ssh runs
    // (the lab's migration), which a listing here would pick up (it did, in CI).
    const lockDir = join(dir, "run-lock");
    await mkdir(lockDir);
    vi.stubEnv("MUDANZA_MACHINE_LOCK_DIR", lockDir);
    const machineLocks = async () => (await readdir(lockDir)).filter((f) => f.startsWith("mudanza-hosts-"));
    const first = await lockHostPair(ssh("198.18.0.5"), ssh("198.18.0.6"), join(dir, "ansible-state"));
    const [held, ...more] = await machineLocks();
    expect(more).toEqual([]);
    await heldByAnotherRun(join(lockDir, held!), "mudanza run web1.yaml --yes");
    try {
      await expect(lockHostPair(ssh("198.18.0.5"), ssh("198.18.0.6"), join(dir, "admin-state"))).rejects.toThrow(
        /^another run works on the same source and target \(ssh root@198\.18\.0\.5:22, ssh root@198\.18\.0\.6:22\).*another mudanza run holds .*mudanza-hosts-[0-9a-f]{16}\.lock: pid \d+/,
      );
      // the refused run keeps no lock of its own in its state dir
      expect((await readdir(join(dir, "admin-state"))).filter((f) => f.endsWith(".lock"))).toEqual([]);
      // another target is another pair
      const other = await lockHostPair(ssh("198.18.0.5"), ssh("198.18.0.7"), join(dir, "admin-state"));
      await other.release();
    } finally {
      await first.release();
    }
    expect(await machineLocks()).toEqual([]);
    const again = await lockHostPair(ssh("198.18.0.5"), ssh("198.18.0.6"), join(dir, "admin-state"));
    expect(await machineLocks()).toHaveLength(1);
    await again.release();
    expect(await machineLocks()).toEqual([]);
  });

  it("scripted hosts are locked in the state dir only: runs on them in two state dirs harm nothing", async () => {
    const dir = await temp();
    const { plan } = await loadPlan(await planIn(join(dir, "a"), "web1.yaml"));
    const one = await lockHostPair(plan.source, plan.target, join(dir, "one"));
    const two = await lockHostPair(plan.source, plan.target, join(dir, "two"));
    await Promise.all([one.release(), two.release()]);
  });
});
