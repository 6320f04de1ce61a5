import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { PLAN_KINDS } from "../../src/cli/commands/plan.js";
import { planKinds } from "../../src/plan/schema.js";
import { HEAVY_PACKAGES, packagesLoadedBy } from "../support/module-graph.js";
import { CLI_PROCESS_TEST_TIMEOUT } from "../support/timeouts.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin", "mudanza.js");
const PLAN = join(ROOT, "fixtures/plans/ovz-kvm-debian-12.yaml");
// The sources, through the same bin/ as users (MUDANZA_FROM_SOURCE is set for tests): the import graph is
// the built one's, since tsc keeps every import as written. test/cli/packed.slow.test.ts checks dist/ itself.
const cli = (...args: string[]) =>
  packagesLoadedBy([BIN, ...args], { env: { ...process.env, MUDANZA_FROM_SOURCE: "1" } });

let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

// Four CLI processes in one test, each compiling the sources through tsx: 28-30 s and more at a load of 17.
describe("commands load only what they use", { timeout: CLI_PROCESS_TEST_TIMEOUT }, () => {
  it("--help loads commander and nothing heavy", async () => {
    const { packages, stdout } = await cli("--help");
    expect(stdout).toContain("Usage: mudanza");
    for (const heavy of [...HEAVY_PACKAGES, "zod", "yaml", "execa"]) expect(packages).not.toContain(heavy);
    expect(packages).toContain("commander");
  });

  it("plan does not load ink, react, ssh2 or listr2; status and runs load neither zod nor yaml either", async () => {
    const plan = await cli(
      "plan",
      "openvz-to-kvm",
      "--source",
      "root@old.example.org",
      "--target",
      "root@new.example.org",
    );
    expect(plan.stdout).toContain("kind: openvz-to-kvm");
    for (const heavy of HEAVY_PACKAGES) expect(plan.packages).not.toContain(heavy);
    expect(plan.packages).toContain("yaml"); // the recorder sees packages at all

    const state = await mkdtemp(join(tmpdir(), "mudanza-lazy-"));
    dirs.push(state);
    // A --yes run on the scripted hosts leaves a journal to show (it may end done or failed).
    await run(process.execPath, [BIN, "run", PLAN, "--yes", "--state-dir", state], {
      env: { ...process.env, CI: "1" },
    }).catch(() => undefined);
    const status = await cli("status", PLAN, "--state-dir", state);
    expect(status.stdout).toContain("Migration ovz-kvm-debian-12");
    // The plan is the one its journal's run accepted: status reads the journal and log with light shapes.
    for (const heavy of [...HEAVY_PACKAGES, "zod", "yaml"]) expect(status.packages).not.toContain(heavy);
    const runs = await cli("runs", "--state-dir", state);
    expect(runs.stdout).toContain("ovz-kvm-debian-12");
    for (const heavy of [...HEAVY_PACKAGES, "zod", "yaml"]) expect(runs.packages).not.toContain(heavy);
    // Their JSON documents are typed by zod schemas, as types only: built without loading zod either.
    for (const args of [["runs"], ["status", PLAN]]) {
      const json = await cli(...args, "--state-dir", state, "--format", "json");
      expect(JSON.parse(json.stdout)).toMatchObject({ version: 1 });
      for (const heavy of [...HEAVY_PACKAGES, "zod", "yaml"]) expect(json.packages, args[0]).not.toContain(heavy);
    }
  });

  it("the plan kinds --help lists are the schema's", () => {
    expect([...PLAN_KINDS]).toEqual([...planKinds]);
  });
});
