import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { runMain as cli } from "../support/main-cli.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs();
let dir: string;
beforeEach(async () => {
  dir = await tempDir("mudanza-state-read-");
});

describe("a state dir that runs and status read", () => {
  it.each(["runs", "status", "status web1"])(
    "`%s` with --state-dir naming a file is bad input naming it, not a crash",
    async (command) => {
      const file = join(dir, "typo.yaml");
      await writeFile(file, "kind: openvz-to-kvm\n");
      const { code, out, err } = await cli([...command.split(" "), "--state-dir", file]);
      expect(code).toBe(2);
      expect(out).toBe("");
      expect(err).toContain(`${file} is not a directory`);
      expect(err).not.toContain("internal error");
    },
  );

  it.each(["runs", "status", "status web1"])(
    "`%s` with a --state-dir that does not exist says so (exit 2), not that nothing ran",
    async (command) => {
      const typo = join(dir, "no-such-dir");
      const { code, out, err } = await cli([...command.split(" "), "--state-dir", typo]);
      expect(code).toBe(2);
      expect(out).toBe("");
      expect(err).toContain(`no such state dir: ${typo}`);
    },
  );

  it("`rollback PLAN --dry-run` with a --state-dir that does not exist says so, not that no checkpoint was taken", async () => {
    const plan = join(import.meta.dirname, "../../fixtures/plans/ovz-kvm-debian-12.yaml");
    const typo = join(dir, "no-such-dir");
    const { code, err } = await cli(["rollback", plan, "--dry-run", "--state-dir", typo]);
    expect(code).toBe(2);
    expect(err).toContain(`no such state dir: ${typo}`);
    expect(err).not.toContain("took no checkpoint");
  });

  it("the default state dir, missing until the first run, has no runs yet (exit 0)", async () => {
    vi.stubEnv("XDG_STATE_HOME", join(dir, "fresh-home"));
    try {
      const { code, out, err } = await cli(["runs"]);
      expect(code).toBe(0);
      expect(out).toContain(`No runs yet in ${join(dir, "fresh-home", "mudanza")}`);
      expect(err).toBe("");
    } finally {
      vi.unstubAllEnvs();
    }
  });

  // New-user trial 12: `--state-dir X` where XDG_STATE_HOME=X had been used: "No runs yet" beside 80 runs.
  it("--state-dir given the folder XDG_STATE_HOME names: runs and status point to the state dir below it", async () => {
    const plan = join(import.meta.dirname, "../../fixtures/plans/ovz-kvm-debian-12.yaml");
    const xdg = join(dir, "xdg");
    await cli(["run", plan, "--yes", "--state-dir", join(xdg, "mudanza")]);
    const runs = await cli(["runs", "--state-dir", xdg]);
    expect(runs.code).toBe(0);
    expect(runs.out).toContain(
      `No runs yet in ${xdg}.\n${join(xdg, "mudanza")} holds runs: --state-dir names the state dir itself, XDG_STATE_HOME the folder above it (--state-dir ${join(xdg, "mudanza")})`,
    );
    // an empty state dir with no such folder below says only that it has none
    await mkdir(join(dir, "empty"));
    expect((await cli(["runs", "--state-dir", join(dir, "empty")])).out).toBe(
      `No runs yet in ${join(dir, "empty")}.\n`,
    );
    const status = await cli(["status", plan, "--state-dir", xdg]);
    expect(status.code).toBe(2);
    expect(status.err).toContain("it has not run with this state dir; if its runs used --state-dir, pass the same one");
  });
});
