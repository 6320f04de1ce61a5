import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
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
});
