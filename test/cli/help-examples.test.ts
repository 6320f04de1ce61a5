import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { buildProgram, main } from "../../src/cli/program.js";

afterEach(() => vi.restoreAllMocks());

/** Every runnable command as its argv path: ["image", "clone"], ["status"], ... */
function leafPaths(command: Command, prefix: string[] = []): string[][] {
  const subs = command.commands.filter((c) => c.name() !== "help");
  if (subs.length === 0) return [prefix];
  return subs.flatMap((c) => leafPaths(c, [...prefix, c.name()]));
}

/** stdout, stderr and the exit code of one command line through main. */
async function printed(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await main(argv, (t) => void (stderr += t));
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

describe("subcommand help", () => {
  it("`help A B` shows B's help, as `A B --help` does, not A's (new-user trial 12)", async () => {
    for (const path of [
      ["image", "clone"],
      ["plan", "openvz-to-kvm"],
      ["host", "doctor"],
    ]) {
      const asked = await printed(["help", ...path]);
      expect(asked.code, path.join(" ")).toBe(0);
      expect(asked.stdout, path.join(" ")).toContain(`Usage: mudanza ${path.join(" ")} `);
      expect(asked).toEqual(await printed([...path, "--help"]));
      // the root's flags may come first, as before any command
      expect((await printed(["-v", "help", ...path])).stdout).toBe(asked.stdout);
    }
  });

  it("ends with an example of the command itself", async () => {
    const paths = leafPaths(buildProgram(() => undefined));
    expect(paths.length).toBeGreaterThan(6);
    for (const path of paths) {
      let out = "";
      vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
      const code = await main([...path, "--help"]);
      vi.restoreAllMocks();
      expect(code, path.join(" ")).toBe(0);
      expect(out, path.join(" ")).toMatch(
        new RegExp(`Examples?:\\n(\\s+.*\\n)*\\s+(sudo )?mudanza ${path.join(" ")}\\b`),
      );
      // One block: checkpoints had two, written at different times (found by a new-user trial).
      expect(out.match(/^Examples?:$/gm), path.join(" ")).toHaveLength(1);
    }
  });

  it("the commands whose checks boot a test VM say so (found by a new-user trial: only README did)", async () => {
    for (const path of [
      ["image", "sparsify"],
      ["host", "doctor"],
    ]) {
      let out = "";
      vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
      await main([...path, "--help"]);
      vi.restoreAllMocks();
      expect(out.replace(/\s+/g, " "), path.join(" ")).toContain(
        "The checks boot a short test VM to learn whether KVM runs guests here: the newest /boot kernel under qemu-system-x86_64 -accel kvm, 128 MiB, no disk and no network, so nothing is written;",
      );
    }
  });

  it("the root's help lists every exit code the README's table has", async () => {
    let out = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
    await main(["--help"]);
    vi.restoreAllMocks();
    const listed = /^Exit codes: (.*)$/m.exec(out)?.[1] ?? "";
    const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
    const table = readme.slice(readme.indexOf("### Exit codes"));
    const codes = [...table.matchAll(/^\| ([\d /]+) \|/gm)].flatMap((m) => m[1]!.split("/").map((c) => c.trim()));
    expect(codes).toEqual(["0", "1", "2", "3", "75", "130", "143", "70"]);
    for (const code of codes) expect(listed).toMatch(new RegExp(`\\b${code}\\b`));
  });
});

/** What `run` writes to stdout and stderr, and its exit code. */
async function captured(run: () => Promise<unknown>): Promise<string> {
  let out = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((out += `[stderr] ${String(chunk)}`), true));
  try {
    await run();
  } catch {
    // the full program throws where main returns an exit code (exitOverride)
  } finally {
    vi.restoreAllMocks();
  }
  return out;
}

describe("main registers only the subcommand a command line names", () => {
  it("prints the same help and the same errors as the program with every subcommand", async () => {
    const lines = [
      ...leafPaths(buildProgram(() => undefined)).map((path) => [...path, "--help"]),
      ["-v", "status", "--help"],
      ["status", "--frobnicate"],
      ["runs", "one", "two"],
      ["--help", "status"],
      ["statsu"],
    ];
    for (const argv of lines) {
      const full = await captured(() => buildProgram(() => undefined).parseAsync(argv, { from: "user" }));
      const alone = await captured(() => main(argv));
      expect(alone, argv.join(" ")).toBe(full);
      expect(alone.length, argv.join(" ")).toBeGreaterThan(20);
    }
  });

  it("still lists every command for --help given before a subcommand's name", async () => {
    const out = await captured(() => main(["--help", "status"]));
    for (const name of ["run", "runs", "plan", "image", "schema", "completion"]) expect(out).toContain(`  ${name} `);
  });
});
