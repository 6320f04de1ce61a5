import { execFileSync, type ChildProcess } from "node:child_process";
import { chmod, link, mkdtemp, mkdir, readdir, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildImageClone } from "../../src/pipelines/image-clone/pipeline.js";
import { runLocal } from "./run-local.js";
import { exitCodeForRun } from "../../src/exit-codes.js";
import { delegatingHost } from "../../src/hosts/delegating-host.js";
import { LocalHost } from "../../src/hosts/local-host.js";
import { cloneOptions } from "./clone-options.js";
import { heldOpenByQemuIo } from "./qemu-io-holder.js";
import { cloneRecordsIn } from "../../src/pipelines/image-sparsify/clone-records.js";

// Real qemu-img and qemu-io (Debian qemu-utils) on real qcow2 files.
const qemuImg = (...args: string[]): string => execFileSync("qemu-img", args, { encoding: "utf8" });
const qemuIo = (...args: string[]): string => execFileSync("qemu-io", args, { encoding: "utf8" });

let dir: string;
let base: string;
const holders: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-clone-"));
  await mkdir(join(dir, "images"));
  base = join(dir, "images", "base.qcow2");
  qemuImg("create", "-q", "-f", "qcow2", base, "16M");
  // Known content in the base: 0x5a over the first MiB.
  qemuIo("-f", "qcow2", "-c", "write -P 0x5a 0 1M", base);
});

afterEach(async () => {
  for (const h of holders.splice(0)) h.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

/** This machine, except that `qemu-img create` of lab2 fails as on a full disk (only the run can tell). */
function hostWhereLab2CannotBeCreated() {
  const local = new LocalHost("local");
  return delegatingHost(local, {
    exec: (command, options) =>
      command.startsWith("qemu-img create ") && command.endsWith("lab2.qcow2")
        ? Promise.resolve({ code: 1, stdout: "", stderr: "qemu-img: No space left on device\n" })
        : local.exec(command, options),
  });
}

const plan = (extra: Parameters<typeof cloneOptions>[1] = {}) => cloneOptions(base, { count: 2, ...extra });

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

  it("a second run finds everything done and verifies it again", async () => {
    const first = await runLocal(buildImageClone(), plan(), "yes");
    const again = await runLocal(buildImageClone(), plan(), "yes", { stateDir: first.stateDir });
    expect(again.outcome.status).toBe("done");
    const ends = again.events
      .filter((e) => e.type === "step-end")
      .map((e) => (e.type === "step-end" ? `${e.stepId}:${e.status}` : ""));
    expect(ends).toEqual(["protect-base:skipped", "create-overlays:skipped", "define-domains:skipped"]);
  });

  it("temporary names a killed run left as second links to its placed clones are dropped by the next run, nothing else (new-user trial 7)", async () => {
    expect((await runLocal(buildImageClone(), plan(), "yes")).outcome.status).toBe("done");
    const images = join(dir, "images");
    // killed after clearing its undo, before dropping its temporary names: each still a link to its clone
    for (const name of ["lab1.qcow2", "lab2.qcow2"])
      await link(join(images, name), join(images, `.mudanza-new-0123abcd-${name}`));
    // a file of that shape that is no link to a clone in place is not the run's to remove
    await writeFile(join(images, ".mudanza-new-0123abcd-lab3.qcow2"), "not a link");
    const dry = await runLocal(buildImageClone(), plan(), "dry-run");
    expect(dry.outcome.probes["create-overlays"]?.satisfied).toBe(false);
    expect(dry.outcome.probes["create-overlays"]?.commands.map((c) => c.command)).toEqual(
      ["lab1.qcow2", "lab2.qcow2"].map(
        (name) =>
          `if test ${join(images, `.mudanza-new-0123abcd-${name}`)} -ef ${join(images, name)}; then rm -f -- ${join(images, `.mudanza-new-0123abcd-${name}`)}; fi`,
      ),
    );
    expect((await runLocal(buildImageClone(), plan(), "yes")).outcome.status).toBe("done");
    expect((await readdir(images)).filter((f) => f.startsWith(".mudanza-new-"))).toEqual([
      ".mudanza-new-0123abcd-lab3.qcow2",
    ]);
    expect((await stat(join(images, "lab1.qcow2"))).nlink).toBe(1);
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
    const local = new LocalHost("local");
    // lab1 is in place when lab2 cannot be made; a VM has written to lab1 by the time the undo runs
    const host = delegatingHost(local, {
      exec: async (command, options) => {
        if (!(command.startsWith("qemu-img create ") && command.endsWith("lab2.qcow2")))
          return local.exec(command, options);
        await new Promise((done) => setTimeout(done, 20)); // a later mtime, whatever the clock's step
        execFileSync("qemu-io", ["-c", "write -P 0x66 0 64k", lab1]);
        return { code: 1, stdout: "", stderr: "qemu-img: No space left on device\n" };
      },
    });
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

  describe("a failed run whose first clone a VM has opened but not written to keeps it (new-user trial 8: deleted under the VM)", () => {
    /** lab1 in place, opened read-write by qemu-io (as a booting VM would) when lab2 cannot be made. */
    function hostWhereLab1IsOpenedThenLab2Fails(lab1: string, hideProcesses: boolean) {
      const local = new LocalHost("local");
      return delegatingHost(local, {
        exec: async (command, options) => {
          if (command.startsWith("qemu-img create ") && command.endsWith("lab2.qcow2")) {
            holders.push(await heldOpenByQemuIo(lab1));
            return { code: 1, stdout: "", stderr: "qemu-img: No space left on device\n" };
          }
          // A VM in another PID namespace: its open file is not among this machine's /proc entries.
          return local.exec(
            hideProcesses ? command.replaceAll("/proc/[0-9]*/fd/*", "/nonexistent/*") : command,
            options,
          );
        },
      });
    }

    it("seen as a process that has it open", async () => {
      await chmod(base, 0o640);
      const lab1 = join(dir, "images", "lab1.qcow2");
      const { outcome, events } = await runLocal(buildImageClone(), plan(), "yes", {
        host: hostWhereLab1IsOpenedThenLab2Fails(lab1, false),
      });
      expect(outcome.status).toBe("failed");
      expect(existsSync(lab1)).toBe(true);
      expect((await stat(base)).mode & 0o222).toBe(0);
      const outcomes = events.flatMap((e) => (e.type === "compensation" && e.outcome ? [e.outcome] : []));
      expect(outcomes[0]).toMatch(
        new RegExp(
          `^kept ${lab1.replaceAll(".", "\\.")}: process ${holders.at(-1)!.pid} \\(qemu-io\\) has it open \\(a VM may run on it\\)$`,
        ),
      );
      expect(outcomes[1]).toBe(`${base} stays read-only: ${lab1} stands on ${base}`);
    });

    it("seen by QEMU's lock when the process is out of sight", async () => {
      const lab1 = join(dir, "images", "lab1.qcow2");
      const { outcome, events } = await runLocal(buildImageClone(), plan(), "yes", {
        host: hostWhereLab1IsOpenedThenLab2Fails(lab1, true),
      });
      expect(outcome.status).toBe("failed");
      expect(existsSync(lab1)).toBe(true);
      const outcomes = events.flatMap((e) => (e.type === "compensation" && e.outcome ? [e.outcome] : []));
      expect(outcomes[0]).toMatch(/^kept .*lab1\.qcow2: qemu-img cannot open it unshared: .*Failed to get .*lock/);
    });
  });

  it("a failed run leaves the base read-only when another run's clone stood on it by then (new-user trial 7)", async () => {
    await chmod(base, 0o640);
    const web1 = join(dir, "images", "web1.qcow2");
    const local = new LocalHost("local");
    // While this run makes lab2, another run (its base already read-only: nothing of its own to undo) puts web1 on it.
    const host = delegatingHost(local, {
      exec: (command, options) => {
        if (!(command.startsWith("qemu-img create ") && command.endsWith("lab2.qcow2")))
          return local.exec(command, options);
        qemuImg("create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", "base.qcow2", web1);
        return Promise.resolve({ code: 1, stdout: "", stderr: "qemu-img: No space left on device\n" });
      },
    });
    const { outcome, events } = await runLocal(buildImageClone(), plan(), "yes", { host });
    expect(outcome.status).toBe("failed");
    await expect(stat(join(dir, "images", "lab1.qcow2"))).rejects.toThrow();
    expect((await stat(base)).mode & 0o222).toBe(0);
    expect(events.flatMap((e) => (e.type === "compensation" && e.outcome ? [e.outcome] : []))).toContain(
      `${base} stays read-only: ${web1} stands on ${base}`,
    );
  });

  it("a failed run leaves the base read-only when clones another run journaled stand on it in another folder (new-user trial 8, finding 2)", async () => {
    const other = join(dir, "other");
    await mkdir(other);
    // Run A, done: its clones in other/ are in its journal; its base made read-only, then writable by hand.
    const first = await runLocal(buildImageClone(), plan({ outDir: other, namePattern: "web{n}" }), "yes");
    expect(first.outcome.status).toBe("done");
    await chmod(base, 0o640);
    const withRecords = buildImageClone(cloneRecordsIn(first.stateDir));
    const { outcome } = await runLocal(withRecords, plan(), "yes", {
      host: hostWhereLab2CannotBeCreated(),
      stateDir: first.stateDir,
    });
    expect(outcome.status).toBe("failed");
    expect((await stat(base)).mode & 0o222).toBe(0);
    // Found by the probe, through A's journal: nothing to give back, whatever fails.
    expect(outcome.probes["protect-base"]?.details).toContain(
      `${join(other, "web1.qcow2")} stands on the base: it stays read-only whatever fails`,
    );
    // Without the journal to point there, other/ is not looked in, and the undo says where it looked.
    await rm(join(dir, "images", "lab1.qcow2"), { force: true });
    await chmod(base, 0o640);
    const unaware = await runLocal(buildImageClone(), plan(), "yes", { host: hostWhereLab2CannotBeCreated() });
    expect(unaware.events.flatMap((e) => (e.type === "compensation" && e.outcome ? [e.outcome] : []))).toContain(
      `gave ${base} back its mode 640 (no clone of ${base} found in ${join(dir, "images")})`,
    );
  });

  it("the dry run of a writable base that a clone of another name already stands on says it stays read-only whatever fails", async () => {
    await chmod(base, 0o640);
    const web1 = join(dir, "images", "web1.qcow2");
    qemuImg("create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", "base.qcow2", web1);
    const { outcome } = await runLocal(buildImageClone(), plan(), "dry-run");
    expect(outcome.probes["protect-base"]?.details).toContain(
      `${web1} stands on the base: it stays read-only whatever fails`,
    );
  });

  it("a symlinked base: its file is made read-only, and a failed run gives the file its own mode back (found in review)", async () => {
    await chmod(base, 0o640);
    const link = join(dir, "images", "current.qcow2");
    await symlink("base.qcow2", link);
    const done = await runLocal(buildImageClone(), plan({ base: link, count: 1 }), "yes");
    expect(done.outcome.status).toBe("done");
    expect((await stat(base)).mode & 0o7777).toBe(0o440);
    await rm(join(dir, "images", "lab1.qcow2"));
    await chmod(base, 0o640);
    const { outcome, events } = await runLocal(buildImageClone(), plan({ base: link }), "yes", {
      host: hostWhereLab2CannotBeCreated(),
    });
    expect(outcome.status).toBe("failed");
    expect((await stat(base)).mode & 0o7777).toBe(0o640);
    expect(
      events.some(
        (e) =>
          e.type === "compensation" && e.title === `give ${base} back its mode 640 unless a clone of it is in place`,
      ),
    ).toBe(true);
  });

  describe("a base on a backing chain (base.qcow2 <- l1 <- l2 <- l3, found by a new-user trial)", () => {
    /** l1, l2 and l3 over the base, each an overlay of the one before; returns their paths, the top first. */
    const chain = async (): Promise<string[]> => {
      const layers = ["l1", "l2", "l3"].map((n) => join(dir, "images", `${n}.qcow2`));
      let below = "base.qcow2";
      for (const layer of layers) {
        qemuImg("create", "-q", "-f", "qcow2", "-b", below, "-F", "qcow2", layer);
        below = layer.slice(join(dir, "images").length + 1);
      }
      return [...layers].reverse();
    };

    it("the dry run lists a chmod for every file of the chain, and the run makes each read-only", async () => {
      const files = [...(await chain()), base];
      await chmod(files[2]!, 0o640);
      const top = plan({ base: files[0]!, namePattern: "c{n}" });
      const dry = await runLocal(buildImageClone(), top, "dry-run");
      expect(dry.outcome.probes["protect-base"]?.commands.map((c) => c.command)).toEqual(
        files.map((f) => `chmod a-w ${f}`),
      );
      const { outcome, events } = await runLocal(buildImageClone(), top, "yes");
      expect(outcome.status).toBe("done");
      for (const f of files) expect((await stat(f)).mode & 0o222, f).toBe(0);
      const verified = events.flatMap((e) =>
        e.type === "step-end" && e.stepId === "protect-base" ? (e.checks ?? []) : [],
      );
      expect(verified.map((c) => `${c.name}: ${c.ok}`)).toEqual([
        "base is read-only (root excepted): true",
        ...files.slice(1).map((f) => `${f} (below the base) is read-only (root excepted): true`),
      ]);
    });

    it("a failed run gives every file of the chain its own mode back", async () => {
      const files = [...(await chain()), base];
      await chmod(files[2]!, 0o640);
      const { outcome, events } = await runLocal(buildImageClone(), plan({ base: files[0]! }), "yes", {
        host: hostWhereLab2CannotBeCreated(),
      });
      expect(outcome.status).toBe("failed");
      expect(await Promise.all(files.map(async (f) => ((await stat(f)).mode & 0o7777).toString(8)))).toEqual([
        "644",
        "644",
        "640",
        "644",
      ]);
      const undone = events.flatMap((e) => (e.type === "compensation" && e.title.startsWith("give ") ? [e.title] : []));
      expect(undone).toEqual(
        [...files]
          .reverse()
          .map((f, i) => `give ${f} back its mode ${i === 1 ? "640" : "644"} unless a clone of it is in place`),
      );
    });

    it("clone names taken by the chain's own images block the dry run, saying so, not that the overlays exist", async () => {
      const [top] = await chain();
      const { outcome } = await runLocal(
        buildImageClone(),
        plan({ base: top!, namePattern: "l{n}", count: 2 }),
        "dry-run",
      );
      expect(outcome.status).toBe("blocked");
      expect(outcome.probes["create-overlays"]?.reason).toBe(
        "names taken by other files: l1.qcow2, l2.qcow2 (not overlays of this base); move them away or choose another --name",
      );
    });

    it("a file below the base made writable again is protected again by the next run", async () => {
      const files = [...(await chain()), base];
      const first = await runLocal(buildImageClone(), plan({ base: files[0]! }), "yes");
      expect(first.outcome.status).toBe("done");
      await chmod(base, 0o644);
      const again = await runLocal(buildImageClone(), plan({ base: files[0]! }), "yes", { stateDir: first.stateDir });
      expect(again.outcome.status).toBe("done");
      expect((await stat(base)).mode & 0o222).toBe(0);
      expect(again.events.some((e) => e.type === "compensation")).toBe(false);
    });
  });

  it("a base made writable again under existing overlays is protected again, and stays so on the next run", async () => {
    const first = await runLocal(buildImageClone(), plan(), "yes");
    await chmod(base, 0o644);
    const again = await runLocal(buildImageClone(), plan(), "yes", { stateDir: first.stateDir });
    expect(again.outcome.status).toBe("done");
    expect((await stat(base)).mode & 0o222).toBe(0);
    // No compensation left pending to make it writable before the next run's checks.
    const third = await runLocal(buildImageClone(), plan(), "yes", { stateDir: first.stateDir });
    expect(third.events.some((e) => e.type === "compensation")).toBe(false);
    expect((await stat(base)).mode & 0o222).toBe(0);
  });

  it("a failed run with a larger --count leaves the base read-only: the overlays of the earlier run read it (review)", async () => {
    const first = await runLocal(buildImageClone(), plan({ count: 1 }), "yes");
    expect(first.outcome.status).toBe("done");
    await chmod(base, 0o644); // made writable by hand since
    const host = hostWhereLab2CannotBeCreated();
    const { outcome, events } = await runLocal(buildImageClone(), plan({ count: 2 }), "yes", {
      host,
      stateDir: first.stateDir,
    });
    expect(outcome.status).toBe("failed");
    expect((await stat(base)).mode & 0o222).toBe(0);
    expect(events.some((e) => e.type === "compensation" && e.title.startsWith(`give ${base} back its mode`))).toBe(
      false,
    );
  });

  it("rejects bad arguments with a clear error", () => {
    expect(() => plan({ namePattern: "lab" })).toThrow(/needs \{n\}/);
    expect(() => plan({ count: 0 })).toThrow(/--count/);
    expect(() => plan({ bridge: "br0; rm -rf /" })).toThrow(/--bridge/);
    expect(() => plan({ bridge: ".." })).toThrow('--bridge ".." is not an interface name');
    expect(() => plan({ namePattern: "../x{n}" })).toThrow(/may only hold/);
  });
});
