import { execFile } from "node:child_process";
import { spawn } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandRegistrations } from "../../src/cli/commands/index.js";
import { CLI_PROCESS_TEST_TIMEOUT } from "../support/timeouts.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const PLAN = join(ROOT, "fixtures/plans/ovz-kvm-debian-12.yaml");

let build = "";
let state = "";

/** The built entry points, and bin/mudanza.js beside that build as in an installed package (no src/ there). */
const entryPath = (entry: "main.js" | "light.cjs" | "bin") =>
  entry === "bin" ? join(build, "bin", "mudanza.js") : join(build, "dist", "cli", entry);

/** stdout, stderr and the exit code of one entry point, run from outside the repository. */
async function outcome(
  entry: "main.js" | "light.cjs" | "bin",
  args: string[],
): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [entryPath(entry), ...args], { cwd: state });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

// The build lies in the repository (its packages resolve from node_modules beside it), removed afterwards.
beforeAll(async () => {
  build = await mkdtemp(join(ROOT, ".light-front-test-"));
  state = await mkdtemp(join(tmpdir(), "mudanza-light-front-"));
  await run(process.execPath, [join(ROOT, "scripts/build.mjs"), "--outdir", join(build, "dist")]);
  await cp(join(ROOT, "bin"), join(build, "bin"), { recursive: true });
}, CLI_PROCESS_TEST_TIMEOUT);

afterAll(async () => {
  await Promise.all([build, state].filter(Boolean).map((d) => rm(d, { recursive: true, force: true })));
});

const names = commandRegistrations.flatMap((r) => r.names);
// Every command line bin/mudanza.js sends the light front that its output depends on: help for every command,
// the version, and status with each kind of bad input.
const CASES: string[][] = [
  [],
  ["--help"],
  ["-h"],
  ["-V"],
  ["--version"],
  ["help"],
  ["help", "no-such-command"],
  ...names.map((name) => ["help", name]),
  ["status", "--help"],
  ["-v", "status", "--help"],
  ["status", "--bogus"],
  ["status", "--json"],
  ["status", "--format", "xml"],
  ["status", "no-such-plan.yaml", "--state-dir", "."],
  ["status", "deadbeef", "--state-dir", "."],
  ["status", PLAN, "--state-dir", "."],
  ["status", "--state-dir", "."],
  ["--debug", "status", "--format", "xml"],
];

describe("the light front (dist/cli/light.cjs) prints what the full program prints", () => {
  it.each(CASES.map((args) => [args.join(" ") || "(no arguments)", args]))(
    "%s: the same stdout, stderr and exit code, also through bin/mudanza.js and the code cache",
    { timeout: CLI_PROCESS_TEST_TIMEOUT },
    async (_, args) => {
      const [full, light, bin] = await Promise.all([
        outcome("main.js", args),
        outcome("light.cjs", args),
        outcome("bin", args),
      ]);
      expect(light).toEqual(full);
      expect(bin).toEqual(full);
      expect(full.stdout + full.stderr).not.toBe("");
    },
  );

  it.each([
    ["help", "image", "clone"],
    ["help", "plan", "openvz-to-kvm"],
    ["-v", "help", "host", "doctor"],
  ])(
    "%s %s %s: bin/mudanza.js shows the subcommand's help as the full program does, which reads it as A B --help (new-user trial 12)",
    { timeout: CLI_PROCESS_TEST_TIMEOUT },
    async (...args) => {
      const [full, bin] = await Promise.all([outcome("main.js", args), outcome("bin", args)]);
      expect(bin).toEqual(full);
      expect(full.code).toBe(0);
      const path = args.filter((a) => a !== "-v" && a !== "help").join(" ");
      expect(full.stdout).toContain(`Usage: mudanza ${path} [options]`);
    },
  );

  it(
    "the build writes light.cjs's code cache, and V8 in a plain node takes it",
    { timeout: CLI_PROCESS_TEST_TIMEOUT },
    async () => {
      const light = entryPath("light.cjs");
      const check = `
      const { readFileSync } = require("node:fs");
      const { codeCacheOf, compileCommonJs } = require(${JSON.stringify(join(build, "bin", "code-cache.js"))});
      const text = readFileSync(${JSON.stringify(light)}, "utf8");
      const cache = readFileSync(codeCacheOf(${JSON.stringify(light)}));
      // The cache names the build it was made for (its first 16 bytes), which ends the file.
      const sameBuild = text.trimEnd().endsWith(cache.subarray(0, 16).toString("latin1"));
      const script = compileCommonJs(${JSON.stringify(light)}, text, cache.subarray(16));
      process.stdout.write(sameBuild + " " + script.cachedDataRejected);`;
      const env = { ...process.env };
      delete env.NODE_OPTIONS;
      const { stdout } = await run(process.execPath, ["-e", check], { cwd: state, env });
      expect(stdout).toBe("true false");
    },
  );

  it(
    "the full program's bundle keeps zod's English messages only, and zod still writes its JSON Schemas (scripts/bundle-options.mjs)",
    { timeout: CLI_PROCESS_TEST_TIMEOUT },
    async () => {
      const chunks = join(build, "dist", "chunks");
      const texts = await Promise.all(
        (await readdir(chunks)).filter((f) => f.endsWith(".js")).map((f) => readFile(join(chunks, f), "utf8")),
      );
      // esbuild heads each bundled file with a comment naming it
      const locales = texts.flatMap((t) =>
        [...t.matchAll(/^\/\/ node_modules\/zod\/v4\/locales\/(.+)$/gm)].map((m) => m[1]),
      );
      // the index is the build's one-line stand-in that exports English only
      expect(locales.sort()).toEqual(["en.js", "index.js"]);
      const schema = await outcome("main.js", ["schema", "host-doctor"]);
      expect(schema.code).toBe(0);
      expect(JSON.parse(schema.stdout)).toMatchObject({ $schema: "http://json-schema.org/draft-07/schema#" });
    },
  );

  it(
    "help and status into a pipe make no process.stdout: node's stream modules stay unloaded (plain-stdout.ts)",
    { timeout: CLI_PROCESS_TEST_TIMEOUT },
    async () => {
      const loaded = join(state, "loaded.txt");
      const recorder = join(state, "record-streams.cjs");
      await writeFile(
        recorder,
        `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(loaded)}, String(process.moduleLoadList.includes("NativeModule internal/streams/writable"))));`,
      );
      for (const [args, expected] of [
        [["--help"], "Usage: mudanza"],
        [["status", "--state-dir", "."], "No runs yet"],
      ] as const) {
        const { stdout } = await run(process.execPath, ["--require", recorder, entryPath("bin"), ...args], {
          cwd: state,
        });
        expect(stdout).toContain(expected);
        expect(await readFile(loaded, "utf8")).toBe("false");
      }
    },
  );

  it("help into a pipe its reader closed ends quietly with exit 0 (EPIPE dropped)", async () => {
    const child = spawn(process.execPath, [entryPath("bin"), "--help"], {
      cwd: state,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});
