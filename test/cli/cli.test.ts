import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/program.js";
import { parseEndpointFlag } from "../../src/cli/commands/plan.js";
import { resolveInteractive } from "../../src/cli/interactive.js";
import { resolveRunMode } from "../../src/cli/drive-pipeline.js";

let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mudanza-cli-"));
  dirs.push(dir);
  return dir;
}

async function runCli(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const code = await main(args, (t) => {
    stderr += t;
  });
  return { code, stderr };
}

describe("cli", () => {
  it("exits 2 with the key path for an invalid plan", async () => {
    const dir = await tempDir();
    const plan = join(dir, "bad.yaml");
    await writeFile(plan, "kind: openvz-to-kvm\nsource: {host: a, port: 70000}\ntarget: {host: b}\n");
    const { code, stderr } = await runCli(["run", plan, "--dry-run"]);
    expect(code).toBe(2);
    expect(stderr).toContain(plan);
    expect(stderr).toMatch(/source\.port/);
  });

  it("exits 2 for a missing plan file and for unknown flags", async () => {
    expect((await runCli(["run", "/nonexistent/plan.yaml", "--dry-run"])).code).toBe(2);
    expect((await runCli(["run", "x.yaml", "--frobnicate"])).code).toBe(2);
  });

  it("writes a plan from flags that run would accept, and refuses to overwrite", async () => {
    const dir = await tempDir();
    const out = join(dir, "web1.yaml");
    expect(
      (
        await runCli([
          "plan",
          "openvz-to-kvm",
          "--source",
          "root@old.example.org",
          "--target",
          "admin@new.example.org:2222",
          "-o",
          out,
        ])
      ).code,
    ).toBe(0);
    const text = await readFile(out, "utf8");
    expect(text).toContain("kind: openvz-to-kvm");
    expect(text).toMatch(/port: 2222/);
    const again = await runCli(["plan", "openvz-to-kvm", "--source", "a", "--target", "b", "-o", out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("not overwriting");
  });

  it("parses [user@]host[:port] and rejects nonsense", () => {
    expect(parseEndpointFlag("old.example.org", "--source")).toEqual({
      user: "root",
      host: "old.example.org",
      port: 22,
    });
    expect(parseEndpointFlag("admin@[::1]:2200", "--source")).toEqual({ user: "admin", host: "::1", port: 2200 });
    expect(() => parseEndpointFlag("a b", "--source")).toThrow(/expected/);
    expect(() => parseEndpointFlag("h:99999", "--source")).toThrow(/port/);
    // ssh's URL form, which ssh(1) takes too; "ssh:" is not read as part of a user name (new-user trial 10)
    expect(parseEndpointFlag("ssh://admin@h.example:2200/", "--source")).toEqual({
      user: "admin",
      host: "h.example",
      port: 2200,
    });
    expect(parseEndpointFlag("ssh://[::1]", "--target")).toEqual({ user: "root", host: "::1", port: 22 });
    expect(() => parseEndpointFlag("sftp://root@h:22", "--source")).toThrow(
      '--source "sftp://root@h:22": mudanza logs in with ssh, not sftp: write [user@]host[:port] or ssh://[user@]host[:port]',
    );
    expect(() => parseEndpointFlag("ssh://root@h/srv", "--source")).toThrow(/expected \[user@\]host\[:port\]/);
  });

  it("decides interactivity in one place: flags win, CI and pipes are not interactive", () => {
    expect(resolveInteractive({}, {}, true)).toBe(true);
    expect(resolveInteractive({ yes: true }, {}, true)).toBe(false);
    expect(resolveInteractive({}, { CI: "true" }, true)).toBe(false);
    expect(resolveInteractive({}, {}, false)).toBe(false);
  });

  it("an interactive run whose stdin is not a terminal is refused before anything starts, as one whose stdout is not (found by a new-user trial)", () => {
    const ci = process.env.CI;
    delete process.env.CI;
    try {
      expect(() => resolveRunMode({}, undefined, { stdout: true, stdin: false })).toThrow(
        "stdin is not a terminal, so gates cannot be confirmed: pass --yes to accept them, or --dry-run to only check",
      );
      expect(() => resolveRunMode({}, undefined, { stdout: false, stdin: true })).toThrow("stdout is not a terminal");
      expect(resolveRunMode({}, undefined, { stdout: true, stdin: true })).toBe("interactive");
      // --yes and --dry-run answer no gate from the keyboard
      expect(resolveRunMode({ yes: true }, undefined, { stdout: true, stdin: false })).toBe("yes");
      expect(resolveRunMode({ dryRun: true }, undefined, { stdout: true, stdin: false })).toBe("dry-run");
      // a pipeline without gates (image clone) runs without --yes where stdout is no terminal (new-user trial 12)
      const noGates = false;
      expect(resolveRunMode({}, undefined, { stdout: false, stdin: false }, noGates)).toBe("yes");
      expect(resolveRunMode({ dryRun: true }, undefined, { stdout: false, stdin: false }, noGates)).toBe("dry-run");
    } finally {
      if (ci !== undefined) process.env.CI = ci;
    }
  });
});
