import { execFileSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

interface CodeCacheModule {
  BUILD_MARK: string;
  codeCacheOf(file: string): string;
  compileCommonJs(file: string, text: string, cachedData: Buffer | undefined): import("node:vm").Script;
  runCommonJs(script: import("node:vm").Script, file: string): unknown;
  runWithCodeCache(file: string): boolean;
  compileForCodeCache(file: string, text: string): import("node:vm").Script;
  writeCodeCache(file: string, text: string, script: import("node:vm").Script): void;
}
const codeCache = createRequire(import.meta.url)("../../bin/code-cache.js") as CodeCacheModule;

/** What the test files below record when they run (globalThis, since they run in this process). */
const runs = (): string[] => ((globalThis as Record<string, unknown>).codeCacheTestRuns as string[]) ?? [];

/**
 * A CommonJS file with a #! line that records `version` and the answer of a file it requires beside it,
 * ending with a build ID as the build ends light.cjs.
 */
const program = (version: string, buildId = "0123456789abcdef") => `#!/usr/bin/env node
const helper = require("./helper.cjs");
function answer() { return helper.answer() + ":" + ${JSON.stringify(version)}; }
globalThis.codeCacheTestRuns = [...(globalThis.codeCacheTestRuns ?? []), answer() + ":" + typeof module.exports];
${codeCache.BUILD_MARK}${buildId}
`;

let dir = "";
let file = "";
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-code-cache-"));
  file = join(dir, "program.cjs");
  await writeFile(join(dir, "helper.cjs"), 'exports.answer = () => "helper";\n');
  (globalThis as Record<string, unknown>).codeCacheTestRuns = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  delete (globalThis as Record<string, unknown>).codeCacheTestRuns;
});

/** Writes the code cache of `file` as the build does: compiled, run, then the cache taken. */
async function writeCache(): Promise<void> {
  const text = await readFile(file, "utf8");
  const script = codeCache.compileCommonJs(file, text, undefined);
  codeCache.runCommonJs(script, file);
  codeCache.writeCodeCache(file, text, script);
}

describe("bin/code-cache.js runs a CommonJS file as require does, from V8's code cache when it fits", () => {
  it("with the cache the build wrote: V8 takes it, and the file runs with require from its own folder", async () => {
    await writeFile(file, program("v1"));
    await writeCache();
    expect(codeCache.runWithCodeCache(file)).toBe(true);
    expect(runs()).toEqual(["helper:v1:object", "helper:v1:object"]);
  });

  it("without a cache, the file runs as require runs it", async () => {
    await writeFile(file, program("v1"));
    expect(codeCache.runWithCodeCache(file)).toBe(false);
    expect(runs()).toEqual(["helper:v1:object"]);
  });

  it("a cache of an older text (another length) is refused, and the new text runs", async () => {
    await writeFile(file, program("v1"));
    await writeCache();
    await writeFile(file, program("version two"));
    expect(codeCache.runWithCodeCache(file)).toBe(false);
    expect(runs()).toEqual(["helper:v1:object", "helper:version two:object"]);
  });

  it("a cache of another build of the same length is not used: V8 would take it and run the old functions (review)", async () => {
    await writeFile(file, program("v1", "0123456789abcdef"));
    await writeCache();
    await writeFile(file, program("v2", "fedcba9876543210")); // same length, other text and ID
    expect(codeCache.runWithCodeCache(file)).toBe(false);
    expect(runs()).toEqual(["helper:v1:object", "helper:v2:object"]);
  });

  it("a cache that is not V8's is refused, and the file still runs", async () => {
    await writeFile(file, program("v1"));
    // The build's ID, then bytes that are no V8 code cache: V8 itself refuses them.
    await writeFile(codeCache.codeCacheOf(file), "0123456789abcdefnot a code cache\n");
    expect(codeCache.runWithCodeCache(file)).toBe(false);
    expect(runs()).toEqual(["helper:v1:object"]);
  });

  it("functions from the cache name the file by its name in the package, not the folder the build made it in (new-user trial 11)", async () => {
    // In processes of their own: V8 keeps compiled scripts per process, which would hide what a cache brings.
    const stackProgram = `console.log(new Error("where").stack.split("\\n")[1]);\n${codeCache.BUILD_MARK}0123456789abcdef\n`;
    const build = join(dir, "build");
    const installed = join(dir, "installed");
    for (const folder of [build, installed]) await mkdir(folder);
    await writeFile(join(build, "light.cjs"), stackProgram);
    const bin = join(import.meta.dirname, "../../bin/code-cache.js");
    const node = (code: string) => execFileSync(process.execPath, ["-e", code], { encoding: "utf8" }).trim();
    const makeCache = (compile: string) =>
      node(
        `const c = require(${JSON.stringify(bin)}); const f = ${JSON.stringify(join(build, "light.cjs"))}; const t = require("fs").readFileSync(f, "utf8"); const s = ${compile}; c.runCommonJs(s, f); c.writeCodeCache(f, t, s);`,
      );
    const runInstalled = async () => {
      for (const name of ["light.cjs", "light.cjs.code-cache"])
        await copyFile(join(build, name), join(installed, name));
      return node(
        `const used = require(${JSON.stringify(bin)}).runWithCodeCache(${JSON.stringify(join(installed, "light.cjs"))}); if (!used) throw new Error("cache not used");`,
      );
    };
    // Made under the build's own path, the installed copy's trace names the build folder: what the trial saw.
    makeCache("c.compileCommonJs(f, t, undefined)");
    expect(await runInstalled()).toContain(join(build, "light.cjs"));
    // Made as the build makes it now: its name in the package.
    makeCache("c.compileForCodeCache(f, t)");
    const frame = await runInstalled();
    expect(frame).toContain("mudanza/dist/cli/light.cjs:1:");
    expect(frame).not.toContain(build);
  });
});
