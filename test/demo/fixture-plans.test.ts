import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runMain } from "../support/main-cli.js";
import { useTempDirs } from "../support/temp-dirs.js";

const PLANS = resolve(import.meta.dirname, "../../fixtures/plans");
const tempDir = useTempDirs();

/** The command a fixture plan's leading comment says its --yes run stops at, and on which host, if it says so. */
function statedStop(text: string): { command: string; role: string } | undefined {
  const comment = text
    .split("\n")
    .filter((line) => line.startsWith("#"))
    .map((line) => line.replace(/^#\s?/, ""))
    .join(" ");
  const stated = /A --yes run stops \(exit 1\) at `([^`]+)` on the (source|node)\b/.exec(comment);
  // The vserver plans' target is the OpenVZ node.
  return stated ? { command: stated[1]!, role: stated[2] === "node" ? "target" : "source" } : undefined;
}

const runnable = (await readdir(PLANS))
  .filter((f) => f.endsWith(".yaml"))
  .map(async (file) => ({ file, stop: statedStop(await readFile(join(PLANS, file), "utf8")) }));
const plans = (await Promise.all(runnable))
  .filter((p) => p.stop !== undefined)
  .map((p) => ({ file: p.file, stop: p.stop! }));

// Found by new-user trial 9 (finding 9): a fixture plan's dry run showed a gap in the fixtures as a user
// warning, and its --yes run stopped at the copy although its comment called it "a demo and the tests' plan".
describe("the fixture plans are what their comments say", () => {
  it("the comments of the migrations' plans say where a --yes run stops", () => {
    expect(plans.map((p) => p.file).sort()).toEqual([
      "ovz-kvm-almalinux-8.9.yaml",
      "ovz-kvm-debian-12.yaml",
      "vserver-db1.yaml",
      "vserver-web1.yaml",
    ]);
  });

  it.each(plans)("$file: its dry run is Ready and every command it runs has an answer", async ({ file }) => {
    const state = await tempDir("mudanza-fixture-plan-");
    const { code, out } = await runMain(["run", join(PLANS, file), "--dry-run", "--state-dir", state]);
    expect(code).toBe(0);
    expect(out).toContain("**Ready**");
    expect(out).not.toContain("no rule for");
  });

  it.each(plans)("$file: its --yes run stops where its comment says", async ({ file, stop }) => {
    const state = await tempDir("mudanza-fixture-plan-");
    const { code, out } = await runMain(["run", join(PLANS, file), "--yes", "--state-dir", state]);
    expect(code).toBe(1);
    expect(out).toContain(`[FAILED] scripted host ${stop.role}: no rule for: ${stop.command}\n`);
  });
});
