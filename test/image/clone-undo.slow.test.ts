/**
 * image clone's undo after a failed or killed run, on real qcow2 files: what it keeps (clones a VM uses, a base
 * other clones stand on, chains) and what it gives back. Slow (many runs of real qemu-img): `npm test` only.
 */
import { type ChildProcess } from "node:child_process";
import { chmod, link, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { buildImageClone } from "../../src/pipelines/image-clone/pipeline.js";
import { runLocal } from "./run-local.js";
import { delegatingHost } from "../../src/hosts/delegating-host.js";
import { LocalHost } from "../../src/hosts/local-host.js";
import { heldOpenByQemuIo } from "./qemu-io-holder.js";
import { cloneRecordsIn } from "../../src/pipelines/image-sparsify/clone-records.js";
import { cloneBenchPerTest, hostWhereLab2CannotBeCreated, qemuImg } from "./clone-bench.js";

let dir: string;
let base: string;
let holders: ChildProcess[];
const bench = cloneBenchPerTest();
const plan = bench.plan;
beforeEach(() => ({ dir, base, holders } = bench));

/** The journal in `stateDir` as a run killed in create-overlays leaves it: that step running, the run without an end. */
async function asKilledInCreate(stateDir: string): Promise<void> {
  const [name] = (await readdir(stateDir)).filter((f) => f.endsWith(".journal.json"));
  const path = join(stateDir, name!);
  const journal = JSON.parse(await readFile(path, "utf8")) as {
    steps: Record<string, { status: string }>;
    runs: Array<{ outcome?: string }>;
  };
  const order = buildImageClone().steps.map((s) => s.id);
  journal.steps["create-overlays"]!.status = "running";
  for (const id of order.slice(order.indexOf("create-overlays") + 1)) delete journal.steps[id];
  delete journal.runs.at(-1)!.outcome;
  await writeFile(path, JSON.stringify(journal));
}

describe("image clone's undo on real qcow2 files", () => {
  it("temporary names a killed run left as second links to its placed clones are dropped by the next run, nothing else (new-user trial 7)", async () => {
    // The next run is the same command's, in the same state dir: its journal knows the clones it placed (another
    // command's run is blocked by them: clone.test.ts).
    const first = await runLocal(buildImageClone(), plan(), "yes");
    expect(first.outcome.status).toBe("done");
    const again = { stateDir: first.stateDir };
    await asKilledInCreate(first.stateDir);
    const images = join(dir, "images");
    // killed after clearing its undo, before dropping its temporary names: each still a link to its clone
    for (const name of ["lab1.qcow2", "lab2.qcow2"])
      await link(join(images, name), join(images, `.mudanza-new-0123abcd-${name}`));
    // a file of that shape that is no link to a clone in place is not the run's to remove
    await writeFile(join(images, ".mudanza-new-0123abcd-lab3.qcow2"), "not a link");
    const dry = await runLocal(buildImageClone(), plan(), "dry-run", again);
    expect(dry.outcome.probes["create-overlays"]?.satisfied).toBe(false);
    expect(dry.outcome.probes["create-overlays"]?.commands.map((c) => c.command)).toEqual(
      ["lab1.qcow2", "lab2.qcow2"].map(
        (name) =>
          `if test ${join(images, `.mudanza-new-0123abcd-${name}`)} -ef ${join(images, name)}; then rm -f -- ${join(images, `.mudanza-new-0123abcd-${name}`)}; fi`,
      ),
    );
    expect((await runLocal(buildImageClone(), plan(), "yes", again)).outcome.status).toBe("done");
    expect((await readdir(images)).filter((f) => f.startsWith(".mudanza-new-"))).toEqual([
      ".mudanza-new-0123abcd-lab3.qcow2",
    ]);
    expect((await stat(join(images, "lab1.qcow2"))).nlink).toBe(1);
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

  it("a failed run that adds a clone leaves the base read-only: the overlays of the earlier run read it (review)", async () => {
    const first = await runLocal(buildImageClone(), plan({ count: 1 }), "yes");
    expect(first.outcome.status).toBe("done");
    await chmod(base, 0o644); // made writable by hand since
    const host = hostWhereLab2CannotBeCreated();
    // lab2 after lab1 (a larger --count from 1 would be blocked by lab1, another command's clone: clone.test.ts)
    const { outcome, events } = await runLocal(buildImageClone(), plan({ count: 1, start: 2 }), "yes", {
      host,
      stateDir: first.stateDir,
    });
    expect(outcome.status).toBe("failed");
    expect((await stat(base)).mode & 0o222).toBe(0);
    expect(events.some((e) => e.type === "compensation" && e.title.startsWith(`give ${base} back its mode`))).toBe(
      false,
    );
  });
});
