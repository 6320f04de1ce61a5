import { execFileSync, type ChildProcess } from "node:child_process";
import { chmod, mkdir, readdir, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { buildImageClone } from "../../src/pipelines/image-clone/pipeline.js";
import { runLocal } from "./run-local.js";
import { exitCodeForRun } from "../../src/exit-codes.js";
import { delegatingHost } from "../../src/hosts/delegating-host.js";
import { LocalHost } from "../../src/hosts/local-host.js";
import { heldOpenByQemuIo } from "./qemu-io-holder.js";
import { cloneBenchPerTest, hostWhereLab2CannotBeCreated, qemuImg, qemuIo } from "./clone-bench.js";

let dir: string;
let base: string;
let holders: ChildProcess[];
const bench = cloneBenchPerTest();
const plan = bench.plan;
beforeEach(() => ({ dir, base, holders } = bench));

/**
 * What the dry run must list for these clones: each made under a name of its own (the run's random tag),
 * linked into place (ln never overwrites), and the temporary names dropped once all are in place.
 */
function overlayCommands(listed: Array<{ command: string }> | undefined, names: string[]): string[] {
  const tag = /\.mudanza-new-([0-9a-f]{8})-/.exec(listed?.[0]?.command ?? "")?.[1] ?? "no tag";
  const images = join(dir, "images");
  const made = (name: string) => join(images, `.mudanza-new-${tag}-${name}`);
  return [
    ...names.flatMap((name) => [
      `qemu-img create -q -f qcow2 -F qcow2 -b base.qcow2 ${made(name)}`,
      `ln -- ${made(name)} ${join(images, name)}`,
    ]),
    ...names.map((name) => `rm -f -- ${made(name)}`),
  ];
}

/** lab1 is in place when lab2 cannot be made; a VM has written to lab1 by the time the undo runs. */
function hostWhereLab1IsWrittenThenLab2Fails(lab1: string) {
  const local = new LocalHost("local");
  return delegatingHost(local, {
    exec: async (command, options) => {
      if (!(command.startsWith("qemu-img create ") && command.endsWith("lab2.qcow2")))
        return local.exec(command, options);
      await new Promise((done) => setTimeout(done, 20)); // a later mtime, whatever the clock's step
      execFileSync("qemu-io", ["-c", "write -P 0x66 0 64k", lab1]);
      return { code: 1, stdout: "", stderr: "qemu-img: No space left on device\n" };
    },
  });
}

describe("image clone on real qcow2 files", () => {
  it("makes overlays that read the base and write only to themselves; the base becomes read-only", async () => {
    const sumBefore = execFileSync("sha256sum", [base], { encoding: "utf8" }).split(" ")[0];
    const { outcome } = await runLocal(buildImageClone(), plan(), "yes");
    expect(outcome.status).toBe("done");
    const lab1 = join(dir, "images", "lab1.qcow2");
    const lab2 = join(dir, "images", "lab2.qcow2");
    expect((await stat(base)).mode & 0o222).toBe(0);
    const info = JSON.parse(qemuImg("info", "--output=json", lab1)) as Record<string, unknown>;
    expect(info["backing-filename"]).toBe("base.qcow2");
    expect(info["backing-filename-format"]).toBe("qcow2");
    // The clone reads the base's bytes...
    expect(qemuIo("-f", "qcow2", "-r", "-c", "read -P 0x5a 0 1M", lab1)).not.toMatch(/Pattern verification failed/);
    // ...and a write lands in the clone only.
    qemuIo("-f", "qcow2", "-c", "write -P 0xc3 0 64k", lab1);
    expect(qemuIo("-f", "qcow2", "-r", "-c", "read -P 0xc3 0 64k", lab1)).not.toMatch(/Pattern verification failed/);
    expect(qemuIo("-f", "qcow2", "-r", "-U", "-c", "read -P 0x5a 0 64k", base)).not.toMatch(
      /Pattern verification failed/,
    );
    expect(qemuIo("-f", "qcow2", "-r", "-c", "read -P 0x5a 0 64k", lab2)).not.toMatch(/Pattern verification failed/);
    expect(execFileSync("sha256sum", [base], { encoding: "utf8" }).split(" ")[0]).toBe(sumBefore);
  });

  it("keeps working when the whole folder moves (the backing path is relative)", async () => {
    await runLocal(buildImageClone(), plan(), "yes");
    const moved = join(dir, "moved");
    await rename(join(dir, "images"), moved);
    const chain = JSON.parse(qemuImg("info", "--backing-chain", "--output=json", join(moved, "lab2.qcow2"))) as Array<{
      filename: string;
    }>;
    expect(chain.map((c) => c.filename)).toEqual([join(moved, "lab2.qcow2"), join(moved, "base.qcow2")]);
  });

  it("blocks when a QEMU process holds the base open for writing, and changes nothing", async () => {
    holders.push(await heldOpenByQemuIo(base));
    const { outcome } = await runLocal(buildImageClone(), plan(), "yes");
    expect(outcome.status).toBe("blocked");
    expect(exitCodeForRun(outcome)).toBe(3);
    expect(outcome.findings.find((f) => f.blocks)?.title).toBe("Base image is in use");
    expect((await stat(base)).mode & 0o200).toBe(0o200);
    await expect(stat(join(dir, "images", "lab1.qcow2"))).rejects.toThrow();
  });

  it("dry-run probes and changes nothing", async () => {
    const { outcome } = await runLocal(buildImageClone(), plan(), "dry-run");
    expect(outcome.status).toBe("dry-run");
    expect(outcome.probes["create-overlays"]?.commands.map((c) => c.command)).toEqual(
      overlayCommands(outcome.probes["create-overlays"]?.commands, ["lab1.qcow2", "lab2.qcow2"]),
    );
    expect((await stat(base)).mode & 0o200).toBe(0o200);
    await expect(stat(join(dir, "images", "lab1.qcow2"))).rejects.toThrow();
  });

  it("a --name pattern that ends in .qcow2 gets no second extension", async () => {
    const { outcome } = await runLocal(buildImageClone(), plan({ namePattern: "n{n}.qcow2" }), "dry-run");
    expect(outcome.probes["create-overlays"]?.commands.map((c) => c.command)).toEqual(
      overlayCommands(outcome.probes["create-overlays"]?.commands, ["n1.qcow2", "n2.qcow2"]),
    );
    // The clone's name (its libvirt domain) is the file's name without the extension, as with --name 'n{n}'.
    expect(outcome.probes["create-overlays"]?.details?.[0]).toBe(
      `n1: ${join(dir, "images", "n1.qcow2")} → backing base.qcow2`,
    );
  });

  it("never overwrites a file that is not its own overlay", async () => {
    await writeFile(join(dir, "images", "lab2.qcow2"), "precious");
    const { outcome } = await runLocal(buildImageClone(), plan(), "yes");
    expect(outcome.status).toBe("blocked");
    expect(outcome.findings.some((f) => f.title === "Clone path taken")).toBe(true);
  });

  it("an overlay of the base at a clone's name that this run did not make blocks, saying what it holds (new-user trial 12)", async () => {
    const lab2 = join(dir, "images", "lab2.qcow2");
    qemuImg("create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", "base.qcow2", lab2);
    qemuIo("-f", "qcow2", "-c", "write -P 0x11 0 64k", lab2);
    for (const mode of ["dry-run", "yes"] as const) {
      const { outcome } = await runLocal(buildImageClone(), plan({ count: 3 }), mode);
      expect(outcome.status).toBe("blocked");
      const blocked = outcome.findings.filter((f) => f.blocks);
      expect(blocked.map((f) => f.title)).toEqual(["Clone name holds an overlay already"]);
      expect(blocked[0]?.summary).toBe(
        `${lab2} is already an overlay of the base (64.0 KiB written to it), and this run did not make it; it would be kept as it is, not made again, so it blocks instead`,
      );
      expect(blocked[0]?.remediation).toContain(`rm -- ${lab2}`);
    }
    // nothing made, the base still writable, the hand-made clone's data untouched
    expect(existsSync(join(dir, "images", "lab1.qcow2"))).toBe(false);
    expect(existsSync(join(dir, "images", "lab3.qcow2"))).toBe(false);
    expect((await stat(base)).mode & 0o200).toBe(0o200);
    expect(qemuIo("-f", "qcow2", "-r", "-c", "read -P 0x11 0 64k", lab2)).not.toMatch(/Pattern verification failed/);
    // the fix it names works: fresh clones under other numbers
    const fresh = await runLocal(buildImageClone(), plan({ count: 3, start: 3 }), "yes");
    expect(fresh.outcome.status).toBe("done");
  });

  it("a run resumed after a failure keeps the clone it made that a VM wrote to, and makes the rest", async () => {
    const lab1 = join(dir, "images", "lab1.qcow2");
    const host = hostWhereLab1IsWrittenThenLab2Fails(lab1);
    const failed = await runLocal(buildImageClone(), plan(), "yes", { host });
    expect(failed.outcome.status).toBe("failed");
    const dry = await runLocal(buildImageClone(), plan(), "dry-run", { stateDir: failed.stateDir });
    expect(dry.outcome.findings.filter((f) => f.blocks)).toEqual([]);
    expect(dry.outcome.probes["create-overlays"]?.details?.[0]).toBe(
      `lab1: ${lab1} → backing base.qcow2 (made by an earlier run of this command: kept as it is)`,
    );
    const resumed = await runLocal(buildImageClone(), plan(), "yes", { stateDir: failed.stateDir });
    expect(resumed.outcome.status).toBe("done");
    expect(qemuIo("-f", "qcow2", "-r", "-c", "read -P 0x66 0 64k", lab1)).not.toMatch(/Pattern verification failed/);
    expect(existsSync(join(dir, "images", "lab2.qcow2"))).toBe(true);
  });

  it("a second run finds everything done and verifies it again", async () => {
    const first = await runLocal(buildImageClone(), plan(), "yes");
    const again = await runLocal(buildImageClone(), plan(), "yes", { stateDir: first.stateDir });
    expect(again.outcome.status).toBe("done");
    const ends = again.events
      .filter((e) => e.type === "step-end")
      .map((e) => (e.type === "step-end" ? `${e.stepId}:${e.status}` : ""));
    expect(ends).toEqual(["protect-base:skipped", "create-overlays:skipped", "define-domains:skipped"]);
  });

  it("puts overlays in another folder with a relative path that climbs to the base", async () => {
    const out = join(dir, "clones");
    await mkdir(out);
    const { outcome, events } = await runLocal(buildImageClone(), plan({ outDir: out, count: 1 }), "yes");
    expect(outcome.status).toBe("done");
    const info = JSON.parse(qemuImg("info", "--output=json", join(out, "lab1.qcow2"))) as Record<string, unknown>;
    expect(info["backing-filename"]).toBe("../images/base.qcow2");
    // The chain it verified names the base by its own path, not clones/../images/base.qcow2.
    const verified = events.flatMap((e) => (e.type === "step-end" ? (e.checks ?? []) : []));
    expect(verified.find((c) => c.name === "lab1 chain resolves")?.detail).toBe(`${join(out, "lab1.qcow2")} → ${base}`);
  });

  it("an --out-dir that is a link to a folder is a folder (new-user trial 7: 'Output folder missing', fix mkdir -p)", async () => {
    await mkdir(join(dir, "pool"));
    const out = join(dir, "vms");
    await symlink(join(dir, "pool"), out);
    const { outcome } = await runLocal(buildImageClone(), plan({ outDir: out, count: 1 }), "yes");
    expect(outcome.findings.filter((f) => f.blocks)).toEqual([]);
    expect(outcome.status).toBe("done");
    qemuImg("info", "--backing-chain", join(dir, "pool", "lab1.qcow2")); // opens with its base
  });

  it("an --out-dir under a link whose backing path would miss the base blocks the dry run, with the real path as fix (new-user trial 7)", async () => {
    await mkdir(join(dir, "deep", "er", "sub"), { recursive: true });
    await symlink(join(dir, "deep", "er"), join(dir, "vlink"));
    const out = join(dir, "vlink", "sub");
    const dry = await runLocal(buildImageClone(), plan({ outDir: out, count: 1 }), "dry-run");
    expect(dry.outcome.status).toBe("blocked");
    const blocked = dry.outcome.findings.find((f) => f.blocks);
    expect(blocked?.title).toBe("Backing path would miss the base");
    expect(blocked?.remediation).toBe(`give the folder's real path: --out-dir ${join(dir, "deep", "er", "sub")}`);
    expect((await stat(base)).mode & 0o222).not.toBe(0); // nothing changed
    // the fix works: from the real folder the backing path climbs to the base
    const fixed = await runLocal(buildImageClone(), plan({ outDir: join(dir, "deep", "er", "sub"), count: 1 }), "yes");
    expect(fixed.outcome.status).toBe("done");
    qemuImg("info", "--backing-chain", join(dir, "deep", "er", "sub", "lab1.qcow2"));
  });

  it("a base whose backing file is gone blocks the dry run, before anything is made read-only (found by a new-user trial)", async () => {
    const lower = join(dir, "images", "lower.qcow2");
    qemuImg("create", "-q", "-f", "qcow2", lower, "16M");
    const upper = join(dir, "images", "upper.qcow2");
    qemuImg("create", "-q", "-f", "qcow2", "-b", "lower.qcow2", "-F", "qcow2", upper);
    await rm(lower);
    for (const mode of ["dry-run", "yes"] as const) {
      const { outcome } = await runLocal(buildImageClone(), plan({ base: upper }), mode);
      expect(outcome.status).toBe("blocked");
      expect(outcome.findings.find((f) => f.blocks)?.title).toBe("Backing file cannot be opened");
    }
    expect((await stat(upper)).mode & 0o777).toBe(0o644);
  });

  it("a run that fails after the base was made read-only gives it its mode back, and says so", async () => {
    await chmod(base, 0o640);
    // qemu-img create failing where the probes saw nothing wrong (a full disk, a race): only the run can tell.
    const host = hostWhereLab2CannotBeCreated();
    const { outcome, events } = await runLocal(buildImageClone(), plan(), "yes", { host });
    expect(outcome.status).toBe("failed");
    expect((await stat(base)).mode & 0o7777).toBe(0o640);
    await expect(stat(join(dir, "images", "lab1.qcow2"))).rejects.toThrow();
    const undone = events.flatMap((e) =>
      e.type === "compensation" ? [`${e.title}: ${e.ok ? "ok" : "failed"}${e.outcome ? ` (${e.outcome})` : ""}`] : [],
    );
    expect((await readdir(join(dir, "images"))).filter((f) => f.startsWith(".mudanza-new-"))).toEqual([]);
    expect(undone).toEqual([
      `remove the new overlay for ${join(dir, "images", "lab2.qcow2")}, not yet in place: ok`,
      `remove overlay ${join(dir, "images", "lab1.qcow2")} while it is the one this run made, unwritten: ok (removed the clone ${join(dir, "images", "lab1.qcow2")})`,
      `give ${base} back its mode 640 unless a clone of it is in place: ok (gave ${base} back its mode 640 (no clone of ${base} found in ${join(dir, "images")}))`,
    ]);
  });

  it("a failed run whose first clone a VM wrote to keeps that clone, and its base stays read-only under it", async () => {
    await chmod(base, 0o640);
    const lab1 = join(dir, "images", "lab1.qcow2");
    const host = hostWhereLab1IsWrittenThenLab2Fails(lab1);
    const { outcome, events } = await runLocal(buildImageClone(), plan(), "yes", { host });
    expect(outcome.status).toBe("failed");
    expect(existsSync(lab1)).toBe(true);
    expect((await stat(base)).mode & 0o222).toBe(0);
    // Each undo says which way it went: neither says it removed or gave back what it kept (new-user trial 7).
    expect(events.flatMap((e) => (e.type === "compensation" && e.outcome ? [e.outcome] : []))).toEqual([
      `kept ${lab1}: written since this run made it (a VM may use it)`,
      `${base} stays read-only: ${lab1} stands on ${base}`,
    ]);
  });

  it("rejects bad arguments with a clear error", () => {
    expect(() => plan({ namePattern: "lab" })).toThrow(/needs \{n\}/);
    expect(() => plan({ count: 0 })).toThrow(/--count/);
    expect(() => plan({ bridge: "br0; rm -rf /" })).toThrow(/--bridge/);
    expect(() => plan({ bridge: ".." })).toThrow('--bridge ".." is not an interface name');
    expect(() => plan({ namePattern: "../x{n}" })).toThrow(/may only hold/);
  });
});
