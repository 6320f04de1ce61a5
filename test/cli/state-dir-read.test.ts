import { writeFile } from "node:fs/promises";
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
});
