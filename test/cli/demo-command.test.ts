import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { pipelineEventSchema, type EventOf } from "../../src/engine/events.js";
import { demoAgainAdvice } from "../../src/cli/demo-again.js";
import { runMain } from "../support/main-cli.js";
import { useTempDirs } from "../support/temp-dirs.js";

const FIXTURES = resolve(import.meta.dirname, "../../fixtures");
const tempDir = useTempDirs();

/** The lab, faked: its plan is the debian-12 fixture plan on scripted hosts, whose --yes run fails at step 1. */
const lab = vi.hoisted(() => ({ start: vi.fn(), stop: vi.fn(), planPath: "", stateDir: "" }));
vi.mock("../../src/lab/lab.js", () => ({ Lab: { start: lab.start } }));
vi.mock("../../src/lab/prerequisites.js", () => ({ labProblems: () => [] }));

beforeEach(async () => {
  const dir = await tempDir("mudanza-demo-");
  lab.planPath = join(dir, "plan.yaml");
  lab.stateDir = join(dir, "state");
  const plan = await readFile(join(FIXTURES, "plans/ovz-kvm-debian-12.yaml"), "utf8");
  await writeFile(lab.planPath, plan.replaceAll("../hosts/", `${FIXTURES}/hosts/`));
  lab.start.mockImplementation(async () => ({ planPath: lab.planPath, stateDir: lab.stateDir, stop: lab.stop }));
  // As `mudanza demo`, not `npm run demo` (the test runner may be started by npm).
  vi.stubEnv("npm_lifecycle_event", "");
});
afterEach(() => {
  vi.unstubAllEnvs();
  lab.start.mockReset();
  lab.stop.mockReset();
});

describe("mudanza demo (new-user trial 9)", () => {
  it("refuses a stdout that is not a terminal before it starts the lab, not after its half-minute boot", async () => {
    const { code, err } = await runMain(["demo"]);
    expect(code).toBe(2);
    expect(err).toContain("stdout is not a terminal, so gates cannot be confirmed: pass --yes");
    expect(lab.start).not.toHaveBeenCalled();
  });

  it("a stopped run's end names no file the teardown removes and no resume: it says to run the demo again", async () => {
    const { code, out } = await runMain(["demo", "--yes", "--json"]);
    expect(code).toBe(1);
    expect(lab.stop).toHaveBeenCalledOnce();
    const end = out
      .trim()
      .split("\n")
      .map((line) => pipelineEventSchema.parse(JSON.parse(line)))
      .find((e): e is EventOf<"pipeline-end"> => e.type === "pipeline-end")!;
    expect(end.status).toBe("failed");
    expect(end).not.toHaveProperty("resumeCommand");
    expect(end).not.toHaveProperty("journal");
    expect(end).not.toHaveProperty("log");
    expect(end.insteadOfResuming).toContain("The lab is torn down now");
    expect(end.insteadOfResuming).toContain("run the demo again: mudanza demo --yes --json;");
    expect(end.insteadOfResuming).toContain("resume it by hand: mudanza demo --yes --json --keep");
  });

  it("the same on the plain face: no log, journal or report line, no resume command, the demo again instead", async () => {
    const { code, out } = await runMain(["demo", "--yes"]);
    expect(code).toBe(1);
    // The start names the journal (it is there while the run goes on); the end, after the lab is gone, must not.
    const end = out.slice(out.indexOf("[STARTED] Result"));
    expect(existsSync(lab.stateDir)).toBe(true); // the fake lab does not remove it: the end still must not name it
    expect(end).not.toContain(lab.stateDir);
    expect(end).not.toContain(lab.planPath);
    expect(end).not.toMatch(/resume with|journal:|log:|report:/i);
    expect(end).toContain("the lab is torn down now, with this run's plan, journal and hosts");
    expect(end).toContain("mudanza demo --yes --keep");
  });
});

describe("demoAgainAdvice", () => {
  it("after the update step's gate was declined, the demo again skips it", () => {
    const advice = demoAgainAdvice("pre-update", {}, false);
    expect(advice).toContain("run the demo again without that step: mudanza demo --skip-pre-update;");
    expect(advice).toContain("mudanza demo --skip-pre-update --keep");
  });

  it("another step's gate, or a failure: the demo as it was run, and names `npm run demo` when run so", () => {
    expect(demoAgainAdvice("db-freeze", {}, false)).toContain("run the demo again: mudanza demo;");
    expect(demoAgainAdvice(undefined, { skipPreUpdate: true }, false)).toContain(
      "run the demo again: mudanza demo --skip-pre-update;",
    );
    const viaNpm = demoAgainAdvice(undefined, {}, true);
    expect(viaNpm).toContain("run the demo again: npm run demo;");
    expect(viaNpm).toContain("by hand: npm run demo -- --keep");
  });
});
