import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/program.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-state-read-"));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
  const code = await main(args, (t) => {
    err += t;
  });
  vi.restoreAllMocks();
  return { code, out, err };
}

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
