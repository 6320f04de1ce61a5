import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { shellQuote } from "../../src/hosts/quote.js";
import { packagesLoadedBy } from "../support/module-graph.js";
import { exitCodeOn, TERMINAL_TEST_TIMEOUT, TmuxSession } from "../tui/tmux.js";
import { pathKeyedStem } from "../../src/journal/journal-names.js";

/**
 * The CLI as a user gets it: built from these sources, `npm pack`ed, installed with `npm install --prefix`
 * into a temporary folder (dependencies from npm's cache when it has them), and started from a folder
 * outside the repository: `--help`, `--yes` without a terminal, and the interactive TUI under tmux.
 */
const ROOT = resolve(import.meta.dirname, "../..");
const PLAN = join(ROOT, "fixtures/plans/ovz-kvm-debian-12.yaml");
// Journal, log and report are named after the plan's name and its path.
const ID = pathKeyedStem("ovz-kvm-debian-12", PLAN);
const run = promisify(execFile);

let work = "";
let installed = "";
let elsewhere = "";
let buildTmp = "";
/** Only PATH, HOME, TMPDIR (the test run's scratch folder) and a terminal: nothing else of this test run (MUDANZA_FROM_SOURCE, CI) reaches the CLI. */
let bareEnv: Record<string, string> = {};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "mudanza-packed-"));
  const pkg = join(work, "pkg");
  await mkdir(pkg);
  for (const entry of ["package.json", "README.md", "bin"])
    await cp(join(ROOT, entry), join(pkg, entry), { recursive: true });
  // Build into the copy: the repository's dist/ may be older than the sources under test.
  // ...with a temporary folder of its own, to see what the build leaves in it
  buildTmp = join(work, "build-tmp");
  await mkdir(buildTmp);
  await run(process.execPath, [join(ROOT, "scripts/build.mjs"), "--outdir", join(pkg, "dist")], {
    env: { ...process.env, TMPDIR: buildTmp },
  });
  // The copy has no src/: prepare (a build) could not run there and is not needed.
  await run("npm", ["pack", "--ignore-scripts", "--pack-destination", work, "--silent"], { cwd: pkg });
  const tarball = (await readdir(work)).find((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error(`npm pack wrote no tarball in ${work}`);
  installed = join(work, "install");
  await run(
    "npm",
    [
      "install",
      "--prefix",
      installed,
      join(work, tarball),
      "--prefer-offline",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
    ],
    { cwd: work, timeout: 600_000 },
  );
  elsewhere = join(work, "elsewhere");
  await mkdir(elsewhere);
  bareEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? work,
    TMPDIR: tmpdir(),
    LANG: "C.UTF-8",
  };
}, 900_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

let sessions: TmuxSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.map((s) => s.kill()));
  sessions = [];
});

const bin = () => join(installed, "node_modules/.bin/mudanza");

describe("the packed CLI, installed and started outside the repository", { timeout: TERMINAL_TEST_TIMEOUT }, () => {
  it("was built leaving nothing in the temporary folder (tsx's compile cache, the code cache's state dir)", async () => {
    expect(await readdir(buildTmp)).toEqual([]);
  });

  it("holds the built CLI only, and --help loads no package from node_modules (none of ink, react, ssh2, listr2)", async () => {
    const files = await readdir(join(installed, "node_modules/mudanza"));
    expect(files.sort()).toEqual(["README.md", "bin", "dist", "package.json"]);
    const { packages, stdout } = await packagesLoadedBy(
      [join(installed, "node_modules/mudanza/bin/mudanza.js"), "--help"],
      { cwd: elsewhere, env: bareEnv },
    );
    expect(stdout).toContain("Usage: mudanza");
    // commander is bundled into dist/ (scripts/build.mjs): help reads no package but the CLI's own files.
    expect([...packages]).toEqual(["mudanza"]);
  });

  it("help, --version and status start the light front (dist/cli/light.cjs) from its code cache, every other command the full program", async () => {
    // MUDANZA_TRACE=1: bin/mudanza.js says when it ran the light front, and whether V8 took its code cache
    // (the installed package's cache, made by the build, must fit the node that runs it).
    const loadsLightFront = async (...args: string[]) => {
      const { stderr } = await run(
        process.execPath,
        [join(installed, "node_modules/mudanza/bin/mudanza.js"), ...args],
        {
          cwd: elsewhere,
          env: { ...bareEnv, MUDANZA_TRACE: "1" },
        },
      ).catch((error: { stderr: string }) => error);
      const front = /light front \(dist\/cli\/light\.cjs\), code cache (used|not used)/.exec(stderr)?.[1];
      if (front !== undefined) expect(front, args.join(" ")).toBe("used");
      return front !== undefined;
    };
    for (const args of [[], ["--help"], ["-v", "help", "run"], ["--version"], ["status", "--state-dir", work]])
      expect(await loadsLightFront(...args), args.join(" ")).toBe(true);
    for (const args of [["run", "--help"], ["runs", "--state-dir", work], ["plan", "--help"], ["bogus"]])
      expect(await loadsLightFront(...args), args.join(" ")).toBe(false);
  });

  it("--yes without a terminal runs the scripted plan to its end, lock released and report written", async () => {
    const state = join(work, "state-yes");
    const result = await run(bin(), ["run", PLAN, "--yes", "--state-dir", state], {
      cwd: elsewhere,
      env: { ...bareEnv, CI: "1" },
    }).then(
      (r) => ({ ...r, code: 0 }),
      (e: { stdout: string; stderr: string; code: number }) => e,
    );
    expect(result.stderr).not.toMatch(/internal error|React is not defined/);
    expect([0, 1]).toContain(result.code);
    expect(result.stdout).toContain("[COMPLETED] Checks passed");
    expect(result.stdout).toContain("[OUTPUT] gate accepted by --yes");
    expect((await readdir(state)).filter((f) => f.endsWith(".lock"))).toEqual([]);
    expect(await readFile(join(state, `${ID}.report.md`), "utf8")).toContain(
      `**Result: ${result.code === 0 ? "done" : "failed"}** (exit ${result.code})`,
    );
  });

  it("draws the interactive TUI in a terminal (tmux) and stops at the first gate when told no", async () => {
    const state = join(work, "state-tui");
    const env = { ...bareEnv, TERM: "xterm-256color", NO_COLOR: "1" };
    const tmux = new TmuxSession();
    sessions.push(tmux);
    const envArgs = Object.entries(env).map(([k, v]) => shellQuote(`${k}=${v}`));
    await tmux.start(
      `cd ${shellQuote(elsewhere)} && env -i ${envArgs.join(" ")} ${shellQuote(bin())} run ${shellQuote(PLAN)} --state-dir ${shellQuote(state)}`,
    );
    const gate = await tmux.waitFor((s) => s.includes("[y/N]") || exitCodeOn(s) !== undefined, "the first gate");
    expect(gate).not.toContain("React is not defined");
    expect(gate.split("\n")[0]).toContain("OpenVZ container to KVM virtual machine (openvz-to-kvm)");
    expect(gate).toContain("Run this step? [y/N]");
    await tmux.keys("n");
    const end = await tmux.waitFor((s) => exitCodeOn(s) !== undefined, "the end of the run");
    expect(exitCodeOn(end)).toBe(1);
    expect(end).toContain("■ Stopped at the gate");
    expect(await readFile(join(state, `${ID}.report.md`), "utf8")).toContain("**Result: declined** (exit 1)");
  });
});
