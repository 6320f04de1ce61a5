import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

interface CodeCacheModule {
  codeCacheOf(file: string): string;
  compileCommonJs(file: string, cachedData: Buffer | undefined): import("node:vm").Script;
  runCommonJs(script: import("node:vm").Script, file: string): unknown;
  runWithCodeCache(file: string): boolean;
}
const codeCache = createRequire(import.meta.url)("../../bin/code-cache.js") as CodeCacheModule;

/** What the test files below record when they run (globalThis, since they run in this process). */
const runs = (): string[] => ((globalThis as Record<string, unknown>).codeCacheTestRuns as string[]) ?? [];

/** A CommonJS file with a #! line that records `version` and the answer of a file it requires beside it. */
const program = (version: string) => `#!/usr/bin/env node
const helper = require("./helper.cjs");
function answer() { return helper.answer() + ":" + ${JSON.stringify(version)}; }
globalThis.codeCacheTestRuns = [...(globalThis.codeCacheTestRuns ?? []), answer() + ":" + typeof module.exports];
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
  const script = codeCache.compileCommonJs(file, undefined);
  codeCache.runCommonJs(script, file);
  await writeFile(codeCache.codeCacheOf(file), script.createCachedData());
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

  it("a cache that is not V8's is refused, and the file still runs", async () => {
    await writeFile(file, program("v1"));
    await writeFile(codeCache.codeCacheOf(file), "not a code cache\n");
    expect(codeCache.runWithCodeCache(file)).toBe(false);
    expect(runs()).toEqual(["helper:v1:object"]);
  });
});
