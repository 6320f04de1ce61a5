import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-unreadable-plan-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The CLI as a user the file's mode keeps out: root without the capabilities that read any file. */
const runAsReader = (...argv: string[]) => {
  const cli = [process.execPath, "--import", "tsx", "src/cli/main.ts", ...argv];
  const noOverride = "-dac_override,-dac_read_search";
  const [file, ...args] =
    process.getuid?.() === 0 ? ["setpriv", "--bounding-set", noOverride, "--inh-caps", noOverride, ...cli] : cli;
  return execa(file!, args, { reject: false, env: { XDG_STATE_HOME: join(dir, "state") } });
};

describe("a plan this user cannot read", () => {
  it("run and status say what to do, as --openvz-conf and the image commands do (new-user trial 10)", async () => {
    const plan = join(dir, "secret.yaml");
    await writeFile(plan, "kind: openvz-to-kvm\n");
    await chmod(plan, 0o000);
    const advice =
      "this user cannot read it (permission denied): run mudanza as a user who can, or give this user read access to it; ls -l shows its owner and mode (EACCES)";
    const [run, status] = await Promise.all([runAsReader("run", plan, "--dry-run"), runAsReader("status", plan)]);
    for (const said of [run, status])
      expect({ code: said.exitCode, stderr: said.stderr }).toEqual({
        code: 2,
        stderr: `mudanza: cannot read plan ${plan}: ${advice}`,
      });
  });
});
