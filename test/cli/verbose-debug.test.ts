import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { useTempDirs } from "../support/temp-dirs.js";

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const PLAN = join(ROOT, "fixtures/plans/ovz-kvm-debian-12.yaml");
const tempDir = useTempDirs();

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return exec(process.execPath, [join(ROOT, "bin/mudanza.js"), ...args], { env: { ...process.env, CI: "1" } }).then(
    (r) => ({ ...r, code: 0 }),
    (e: { stdout: string; stderr: string; code: number }) => ({ stdout: e.stdout, stderr: e.stderr, code: e.code }),
  );
}

describe("-v/--verbose and --debug (issue 14)", () => {
  it("a dry run: silent stderr by default, step lines with -v, the commands on the hosts as they run with --debug", async () => {
    const state = await tempDir("mudanza-verbose-");
    const quiet = await cli("run", PLAN, "--dry-run", "--state-dir", state);
    const verbose = await cli("run", PLAN, "--dry-run", "--state-dir", state, "-v");
    const debug = await cli("--debug", "run", PLAN, "--dry-run", "--state-dir", state);
    expect([quiet.code, verbose.code, debug.code]).toEqual([0, 0, 0]);
    expect(quiet.stderr).toBe("");
    expect(verbose.stderr).toContain("  Check that source and target run the same release: would run");
    expect(verbose.stderr).not.toContain("debug ");
    expect(debug.stderr).toContain("  Check that source and target run the same release: would run"); // --debug implies -v
    expect(debug.stderr).toMatch(/^debug [\d:.]+ source: \$ systemd-detect-virt$/m);
    expect(debug.stderr).toMatch(/^debug [\d:.]+ target: {3}exit \d+ after \d+ ms$/m);
    // A dry run changes nothing: a read already answered is not sent to the host again (159 operations before, 61 after).
    const reads = [...debug.stderr.matchAll(/^debug [\d:.]+ ((?:source|target): (?:\$|read|stat) .*)$/gm)].map(
      (m) => m[1],
    );
    expect(reads.length).toBeGreaterThan(20);
    expect(reads.filter((read, i) => reads.indexOf(read) !== i)).toEqual([]);
    // The report on stdout is the same whatever the verbosity.
    const timeless = (text: string) => text.replace(/\d{4}-\d\d-\d\dT[\d:.-]+Z/g, "TIME");
    expect(timeless(verbose.stdout)).toBe(timeless(quiet.stdout));
  });

  it("--debug adds the stack trace to an explained error; without it, one line", async () => {
    const dir = await tempDir("mudanza-verbose-");
    const plan = join(dir, "plan.yaml");
    await writeFile(join(dir, "not-a-key"), "hello\n");
    await writeFile(
      plan,
      `kind: openvz-to-kvm\nsource: {host: nothing.invalid, identityFile: ${join(dir, "not-a-key")}}\ntarget: {host: 127.0.0.1}\n`,
    );
    const plain = await cli("run", plan, "--dry-run", "--state-dir", dir);
    const debug = await cli("run", plan, "--dry-run", "--state-dir", dir, "--debug");
    expect(plain.code).toBe(debug.code);
    expect(plain.stderr).toMatch(/^mudanza: source: identity file .* is not a private key/);
    expect(plain.stderr).not.toMatch(/^\s+at /m);
    expect(debug.stderr).toContain(plain.stderr.trimEnd());
    expect(debug.stderr).toMatch(/^\s+at .*auth\.ts:\d+:\d+\)?$/m);
  });

  it("--help documents both flags", async () => {
    const { stdout } = await cli("--help");
    expect(stdout).toMatch(/-v, --verbose +say what happens/);
    expect(stdout).toMatch(/--debug +also print every command run on a host/);
  });
});
