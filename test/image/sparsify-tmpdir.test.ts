import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { validateSparsifyOptions, type SparsifyOptions } from "../../src/plan/options/image-sparsify.js";
import { buildImageSparsify } from "../../src/pipelines/image-sparsify/pipeline.js";
import { installFakeGuestfsTools } from "./fake-guestfs-tools.js";
import { runLocal } from "./run-local.js";

// Found by a new-user trial: Ctrl-C or kill -9 left libguestfs's folders and virt-sparsify's overlay in /tmp.
let dir: string;
/** --tmpdir: where the run's own folder goes. */
let tmp: string;
/** TMPDIR of mudanza's environment: what /tmp is to the tools when nothing tells them otherwise. */
let systemTmp: string;
let fakeLog: string;
const saved = { ...process.env };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-sparsify-tmpdir-"));
  tmp = join(dir, "tmp");
  systemTmp = join(dir, "system-tmp");
  fakeLog = join(dir, "fake.log");
  await mkdir(tmp);
  await mkdir(systemTmp);
  process.env.PATH = await installFakeGuestfsTools(dir);
  process.env.TMPDIR = systemTmp;
  process.env.FAKE_LOG = fakeLog;
  delete process.env.LIBGUESTFS_TMPDIR;
  delete process.env.LIBGUESTFS_CACHEDIR;
});
afterEach(async () => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  await stopSleeper();
  await rm(dir, { recursive: true, force: true });
});

/** The stand-in a run left hanging (a kill -9 leaves it running until the next run stops it). */
async function stopSleeper(): Promise<void> {
  const pid = Number(await readFile(`${fakeLog}.ready`, "utf8").catch(() => ""));
  try {
    if (pid > 0) process.kill(pid, "SIGKILL");
  } catch {
    /* already stopped, as the next run should */
  }
}

function sparsifyPlan(): SparsifyOptions {
  const disk = join(dir, "disk.qcow2");
  execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", disk, "4M"]);
  return validateSparsifyOptions({ disk, tmpdir: tmp, uri: "qemu:///system" }, {});
}

/** Everything under `root`, as paths relative to it. */
async function contents(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true })).sort();
}

/** What libguestfs and virt-sparsify left in `root` (the test's state folders and tsx's cache go there too). */
async function toolFilesIn(root: string): Promise<string[]> {
  return (await contents(root)).filter((p) => /^(libguestfs|sparsify)/.test(p));
}

/** What the stand-ins saw, one line per tool run. */
async function toolEnvs(): Promise<string[]> {
  return (await readFile(fakeLog, "utf8")).trim().split("\n");
}

/** Runs `--yes` and interrupts it (as Ctrl-C does) once the hanging stand-in is up. */
async function interruptedRun(plan: SparsifyOptions) {
  const controller = new AbortController();
  let ended = false;
  const interrupt = (async () => {
    while (!ended && !existsSync(`${fakeLog}.ready`)) await sleep(20);
    controller.abort();
  })();
  const result = await runLocal(buildImageSparsify(), plan, "yes", { signal: controller.signal });
  ended = true;
  await interrupt;
  return result;
}

const ownFolder = (): RegExp =>
  new RegExp(`^${tmp}/mudanza-sparsify-disk\\.sparse\\.qcow2-[0-9a-f]{12}$`.replaceAll("/", "\\/"));

describe("image sparsify keeps its temporary files in a folder of its own and removes it", () => {
  it.each(["virt-sparsify", "guestfish"])(
    "interrupted while %s runs, it leaves nothing in the temporary folders; the tools were pointed at the run's folder, the appliance cache left where it was",
    async (tool) => {
      process.env.FAKE_MODE = `${tool}:hang`;
      const plan = sparsifyPlan();
      const { outcome, events } = await interruptedRun(plan);
      expect(outcome.status).toBe("interrupted");
      const envs = await toolEnvs();
      expect(envs).toHaveLength(tool === "virt-sparsify" ? 1 : 2); // guestfish: after virt-sparsify, in verify
      const seen = /^TMPDIR=(\S+) LIBGUESTFS_TMPDIR=(\S+) LIBGUESTFS_CACHEDIR=(\S+) tmp=(\S*)$/.exec(envs.at(-1)!);
      expect(seen?.[1]).toMatch(ownFolder());
      expect(seen?.[2]).toBe(seen?.[1]);
      expect(seen?.[3]).toBe(systemTmp); // libguestfs's own default here (TMPDIR): the cache persists
      if (tool === "virt-sparsify") expect(seen?.[4]).toBe(seen?.[1]);
      const undone = events.filter((e) => e.type === "compensation" && e.title.includes(seen![1]!));
      expect(undone).toMatchObject([{ ok: true }]);
      expect(await contents(tmp)).toEqual([]);
      expect(await toolFilesIn(systemTmp)).toEqual([]);
    },
    60_000,
  );

  it("a run that ends well removes its folder too, and shows making and removing it as commands", async () => {
    const plan = sparsifyPlan();
    const { outcome } = await runLocal(buildImageSparsify(), plan, "yes");
    expect(outcome.message).toBeUndefined();
    expect(outcome.status).toBe("done");
    const commands = outcome.probes.sparsify?.commands.map((c) => c.command) ?? [];
    const own = /TMPDIR=(\S+) /.exec(commands.find((c) => c.includes("virt-sparsify")) ?? "")?.[1] ?? "";
    expect(own).toMatch(ownFolder());
    expect(commands[0]).toBe(`rm -rf -- ${own} && mkdir -m 0700 -- ${own} && touch -- ${own}/.started`);
    expect(commands.at(-1)).toBe(`rm -rf -- ${own}`);
    expect(await toolEnvs()).toHaveLength(3); // virt-sparsify, then guestfish twice in verify
    expect(await contents(tmp)).toEqual([]);
    expect(await toolFilesIn(systemTmp)).toEqual([]);
  }, 60_000);

  it("after a kill -9 during virt-sparsify, the next run of the same command removes what it left and says so", async () => {
    const plan = sparsifyPlan();
    const state = join(dir, "state");
    const cli = (mode: string) =>
      execa(
        process.execPath,
        ["--import", "tsx", "src/cli/main.ts", "image", "sparsify", plan.disk, "--tmpdir", tmp, "--yes"],
        { reject: false, all: true, env: { FAKE_MODE: mode, XDG_STATE_HOME: state } },
      );
    const killed = cli("virt-sparsify:hang");
    while (!existsSync(`${fakeLog}.ready`)) await sleep(50);
    killed.kill("SIGKILL");
    await killed;
    const [left] = await contents(tmp);
    expect(join(tmp, left!)).toMatch(ownFolder());
    expect(await contents(join(tmp, left!))).toEqual([
      ".started",
      "libguestfsFAKE" + (await readFile(`${fakeLog}.ready`, "utf8")).trim(),
      expect.stringMatching(/^libguestfsFAKE\d+\/overlay1\.qcow2$/),
      "sparsifyFAKE.qcow2",
    ]);
    const next = await cli("virt-sparsify:fail");
    // The orphan is named by its tool, not by the environment before it.
    expect(next.all).toContain("mudanza: stopped `virt-sparsify --machine-readable ");
    expect(next.all).toContain(`undone: remove ${join(tmp, left!)} and the socket folders libguestfs left in /tmp (`);
    expect(next.all).toContain("virt-sparsify: error: fake failure");
    expect(await contents(tmp)).toEqual([]);
    expect(await toolFilesIn(systemTmp)).toEqual([]);
  }, 120_000);
});
