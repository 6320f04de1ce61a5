import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { pipelineEventSchema } from "../../src/engine/events.js";
import { runMain } from "../support/main-cli.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs();
const PLAN = resolve("fixtures/plans/ovz-kvm-debian-12.yaml");

/** Every stdout line as an event (the schema `mudanza schema events` prints): --json allows nothing else there. */
const events = (out: string): unknown[] =>
  out
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => pipelineEventSchema.parse(JSON.parse(line)));

// Found in review: with --json, a command that failed before it began wrote nothing on stdout, so a script
// reading the events saw the stream end with no pipeline-end.
describe("--json, a command that fails before its run begins", () => {
  it("a plan that cannot be read: one pipeline-end with the message and the exit code", async () => {
    const dir = await tempDir("mudanza-json-end-");
    const { code, out, err } = await runMain(["run", `${dir}/missing.yaml`, "--yes", "--json"]);
    expect(code).toBe(2);
    expect(err).toContain("cannot read plan");
    expect(events(out)).toMatchObject([
      { type: "pipeline-end", status: "failed", exitCode: 2, message: expect.stringContaining("cannot read plan") },
    ]);
  });

  it("a state dir that cannot be made: the same", async () => {
    const { code, out } = await runMain(["run", PLAN, "--yes", "--json", "--state-dir", "/proc/mudanza-no"]);
    expect(code).toBe(2);
    expect(events(out)).toMatchObject([
      { type: "pipeline-end", status: "failed", exitCode: 2, message: expect.stringContaining("/proc/mudanza-no") },
    ]);
  });

  it("without --json, or where --json is refused (runs), nothing on stdout", async () => {
    const dir = await tempDir("mudanza-json-end-");
    expect((await runMain(["run", `${dir}/missing.yaml`, "--yes"])).out).toBe("");
    const runs = await runMain(["runs", "--json"]);
    expect(runs.code).toBe(2);
    expect(runs.out).toBe("");
  });
});
