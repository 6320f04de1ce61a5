import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { delegatingHost } from "../../src/hosts/delegating-host.js";
import type { Host } from "../../src/hosts/host.js";
import { LocalHost } from "../../src/hosts/local-host.js";
import { ScriptedHost } from "../../src/hosts/scripted-host.js";
import { validateSparsifyOptions } from "../../src/plan/options/image-sparsify.js";
import { buildImageSparsify } from "../../src/pipelines/image-sparsify/pipeline.js";
import { cloneRecordsIn } from "../../src/pipelines/image-sparsify/clone-records.js";
import { buildImageInfo } from "../../src/pipelines/image-clone/info-pipeline.js";
import { buildImageClone } from "../../src/pipelines/image-clone/pipeline.js";
import { sparsifySummary } from "../../src/cli/sparsify-summary.js";
import { runLocal } from "./run-local.js";
import { cloneOptions } from "./clone-options.js";

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");
const fx = (p: string): Promise<string> => readFile(`fixtures/kvm/${p}`, "utf8");

/** A host whose disk, qemu-img and df answers are real outputs (fixtures/kvm/qemu-img, fixtures/kvm/df). */
async function hostWith(options: { virtSparsify: boolean; tmpDf: string }): Promise<ScriptedHost> {
  const info = await fx("qemu-img/info-base.json");
  const host = new ScriptedHost("local");
  host.putFile("/srv/vm/web1.qcow2", "");
  host.on("qemu-img info -U --output=json /srv/vm/web1.qcow2", { stdout: info });
  host.on("qemu-img info --output=json /srv/vm/web1.qcow2", { stdout: info });
  host.on("command -v virsh", { code: 1 });
  host.on("command -v virt-sparsify", options.virtSparsify ? { stdout: "/usr/bin/virt-sparsify\n" } : { code: 1 });
  host.on(/^df -P -T -B1 -- /, { stdout: await fx("df/df-PTB1-tmp.txt") }); // later rules win: the catch-all first
  host.on("df -P -T -B1 -- /srv/tmp", { stdout: await fx(options.tmpDf) });
  return host;
}

/**
 * This machine's real files and qemu-img, except the KVM smoke boot (up to 20 s where KVM hangs, and not
 * what these tests are about): it answers as QEMU does without /dev/kvm (fixtures/kvm/kvm-smoke).
 */
async function localHostWithoutKvmBoot(): Promise<Host> {
  const local = new LocalHost("local");
  const noKvm = await fx("kvm-smoke/no-dev-kvm.stderr");
  return delegatingHost(local, {
    exec: (command, options) =>
      /^timeout --foreground .* -accel kvm /.test(command)
        ? Promise.resolve({ code: 1, stdout: "", stderr: noKvm })
        : local.exec(command, options),
  });
}

const plan = (tmpdir = "/srv/tmp") =>
  validateSparsifyOptions({ disk: "/srv/vm/web1.qcow2", tmpdir, uri: "qemu:///system" }, {});

describe("image sparsify probes", () => {
  it("without virt-sparsify it blocks and says what to install, instead of doing something weaker", async () => {
    const host = await hostWith({ virtSparsify: false, tmpDf: "df/df-PTB1-tmp.txt" });
    const { outcome } = await runLocal(buildImageSparsify(), plan(), "yes", { host });
    expect(outcome.status).toBe("blocked");
    const b = outcome.findings.find((f) => f.title === "virt-sparsify not installed");
    expect(b?.remediation).toMatch(/apt-get install guestfs-tools/);
    expect(host.mutations).toEqual([]);
  });

  it("a temporary folder smaller than the virtual size blocks and proposes a folder with room", async () => {
    const host = await hostWith({ virtSparsify: true, tmpDf: "df/df-PTB1-small-tmpfs.txt" });
    const { outcome } = await runLocal(buildImageSparsify(), plan(), "dry-run", { host });
    expect(outcome.status).toBe("blocked");
    const b = outcome.findings.find((f) => f.title === "Not enough temporary space");
    expect(b?.summary).toMatch(/\/srv\/tmp has 1\.0 MiB free; .* 128 MiB/);
    expect(b?.remediation).toMatch(/^pass --tmpdir \/var\/tmp \(75\.\d GiB free\)$/);
    expect(host.mutations).toEqual([]);
  });

  it("an existing output and a missing temporary folder block with a fix that fits whatever was typed (found by a new-user trial)", async () => {
    const host = await hostWith({ virtSparsify: true, tmpDf: "df/df-PTB1-tmp.txt" });
    host.putFile("/srv/vm/web1.sparse.qcow2", "");
    host.on("df -P -T -B1 -- /srv/nodir", { code: 1, stderr: "df: /srv/nodir: No such file or directory\n" });
    const { outcome } = await runLocal(buildImageSparsify(), plan("/srv/nodir"), "dry-run", { host });
    const fix = (title: string) => outcome.findings.find((f) => f.title === title)?.remediation;
    expect(fix("Output exists")).toBe("remove it, or name another file with --out FILE");
    expect(fix("Temporary folder missing")).toBe(
      "create it (mkdir -p /srv/nodir), or name another folder with --tmpdir DIR",
    );
    expect(host.mutations).toEqual([]);
  });

  it("with room and the tool present, the dry run shows the exact virt-sparsify command and changes nothing", async () => {
    const host = await hostWith({ virtSparsify: true, tmpDf: "df/df-PTB1-tmp.txt" });
    const { outcome } = await runLocal(buildImageSparsify(), plan(), "dry-run", { host });
    expect(outcome.status).toBe("dry-run");
    // Its temporary files go in a folder of the run's own inside --tmpdir; libguestfs's appliance cache stays put.
    const own = "/srv/tmp/mudanza-sparsify-web1.sparse.qcow2-" + sha256("/srv/vm/web1.sparse.qcow2").slice(0, 12);
    expect(outcome.probes.sparsify?.commands.map((c) => c.command)).toEqual([
      `rm -rf -- ${own} && mkdir -m 0700 -- ${own} && touch -- ${own}/.started`,
      `env LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg LIBGUESTFS_CACHEDIR="\${LIBGUESTFS_CACHEDIR:-\${LIBGUESTFS_TMPDIR:-\${TMPDIR:-/var/tmp}}}" TMPDIR=${own} LIBGUESTFS_TMPDIR=${own} XDG_RUNTIME_DIR=${own} virt-sparsify --machine-readable --compress --convert qcow2 --tmp ${own} -- /srv/vm/web1.qcow2 /srv/vm/web1.sparse.qcow2.partial`,
      "mv -- /srv/vm/web1.sparse.qcow2.partial /srv/vm/web1.sparse.qcow2",
      `rm -rf -- ${own}`,
    ]);
    expect(outcome.probes["replace-original"]).toBeUndefined(); // --replace not given: skipped
    expect(host.mutations).toEqual([]);
  });

  it("--replace on a raw disk is blocked: the qcow2 copy would break the VM's raw config (real qemu-img)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mudanza-raw-"));
    try {
      const disk = join(dir, "old.img");
      execFileSync("qemu-img", ["create", "-q", "-f", "raw", disk, "4M"]);
      const p = validateSparsifyOptions({ disk, replace: true, uri: "qemu:///system" }, {});
      expect(p.out).toBe(join(dir, "old.sparse.qcow2"));
      const { outcome } = await runLocal(buildImageSparsify(), p, "dry-run", { host: await localHostWithoutKvmBoot() });
      expect(outcome.findings.filter((f) => f.blocks).map((f) => f.title)).toContain(
        "Replacing would change the disk's format",
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("--replace of a base other images back onto is blocked (found by a new-user trial; real qemu-img)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mudanza-base-"));
    try {
      const base = join(dir, "base.qcow2");
      execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", base, "8M"]);
      execFileSync("qemu-img", [
        "create",
        "-q",
        "-f",
        "qcow2",
        "-b",
        "base.qcow2",
        "-F",
        "qcow2",
        join(dir, "lab1.qcow2"),
      ]);
      execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", join(dir, "alone.qcow2"), "8M"]);
      const title = "Other images back onto this disk";
      const replace = (disk: string) => validateSparsifyOptions({ disk, replace: true, uri: "qemu:///system" }, {});
      const { outcome } = await runLocal(buildImageSparsify(), replace(base), "dry-run", {
        host: await localHostWithoutKvmBoot(),
      });
      const b = outcome.findings.find((f) => f.title === title);
      expect(b).toMatchObject({ blocks: true });
      expect(b?.summary).toContain(join(dir, "lab1.qcow2"));
      expect(b?.summary).not.toContain("alone.qcow2");
      const alone = await runLocal(buildImageSparsify(), replace(join(dir, "alone.qcow2")), "dry-run", {
        host: await localHostWithoutKvmBoot(),
      });
      expect(alone.outcome.findings.map((f) => f.title)).not.toContain(title);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("an overlay's copy is said to be standalone, and its free-space need counts the chain below (found by a new-user trial; real qemu-img)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mudanza-overlay-"));
    try {
      const base = join(dir, "base.qcow2");
      execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", base, "8M"]);
      execFileSync("qemu-io", ["-f", "qcow2", "-c", "write -P 7 0 3M", base], { stdio: "ignore" });
      const overlay = join(dir, "lab1.qcow2");
      execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", overlay]);
      const sparsify = (disk: string) => validateSparsifyOptions({ disk, uri: "qemu:///system" }, {});
      const { outcome } = await runLocal(buildImageSparsify(), sparsify(overlay), "dry-run", {
        host: await localHostWithoutKvmBoot(),
      });
      const note = outcome.findings.find((f) => f.title === "The copy is standalone");
      expect(note).toMatchObject({ blocks: false, severity: "warning" });
      expect(note?.summary).toMatch(
        new RegExp(`^${overlay} is an overlay on ${base}: .* \\(3\\.\\d MiB allocated below it\\)`),
      );
      expect(outcome.probes.sparsify?.details?.[0]).toContain(`an overlay on ${base}`);
      const alone = await runLocal(buildImageSparsify(), sparsify(base), "dry-run", {
        host: await localHostWithoutKvmBoot(),
      });
      expect(alone.outcome.findings.map((f) => f.title)).not.toContain("The copy is standalone");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("an overlay on sub/../base.qcow2 is said to be on the base's resolved path (real qemu-img)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mudanza-overlay-"));
    try {
      const base = join(dir, "base.qcow2");
      execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", base, "8M"]);
      await mkdir(join(dir, "sub"));
      const overlay = join(dir, "lab1.qcow2");
      execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-b", "sub/../base.qcow2", "-F", "qcow2", overlay]);
      const { outcome } = await runLocal(
        buildImageSparsify(),
        validateSparsifyOptions({ disk: overlay, uri: "qemu:///system" }, {}),
        "dry-run",
        { host: await localHostWithoutKvmBoot() },
      );
      const note = outcome.findings.find((f) => f.title === "The copy is standalone");
      expect(note?.summary).toMatch(new RegExp(`^${overlay} is an overlay on ${base}: `));
      expect(outcome.probes.sparsify?.details?.[0]).toContain(`an overlay on ${base})`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the summary of an overlay's sparsify does not call a standalone copy smaller or larger", () => {
    const facts = { allocatedBefore: 200 * 2 ** 20, allocatedAfter: 900 * 2 ** 20 };
    expect(sparsifySummary("/vm/a.qcow2", "/vm/a.sparse.qcow2", facts)).toContain("(350 % larger)");
    const overlay = sparsifySummary("/vm/a.qcow2", "/vm/a.sparse.qcow2", { ...facts, standaloneOf: "/vm/base.qcow2" });
    expect(overlay).toBe(
      "200 MiB → 900 MiB on disk; the sparsified copy is /vm/a.sparse.qcow2; /vm/a.qcow2 is unchanged (--replace swaps them after verification); the copy is standalone (no backing file): it also holds what /vm/base.qcow2 gave it",
    );
  });

  it("a file named .qcow2 that qemu-img reads as raw is said to be not what its name says (found by a new-user trial; real qemu-img)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mudanza-misnamed-"));
    try {
      const text = join(dir, "notimg.qcow2");
      await writeFile(text, "not a disk image\n");
      const real = join(dir, "real.qcow2");
      execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", real, "8M"]);
      const info = async (disk: string) =>
        (await runLocal(buildImageInfo(), { disk }, "dry-run", { host: new LocalHost("local") })).outcome.findings;
      const findings = await info(text);
      // 17 bytes: not a disk image at all (blocks, as sparsify and clone do), and the name's promise is said too
      expect(findings.find((f) => f.title === "Not a disk image")).toMatchObject({ blocks: true });
      const finding = findings.find((f) => f.title === "Not the format its name says");
      expect(finding).toMatchObject({ blocks: false });
      expect(finding?.summary).toBe(
        `${text} is named .qcow2, but qemu-img reads it as raw (what it calls any file it does not recognise)`,
      );
      expect(await info(real)).toEqual([]);
      const sparsify = await runLocal(
        buildImageSparsify(),
        validateSparsifyOptions({ disk: text, uri: "qemu:///system" }, {}),
        "dry-run",
        {
          host: await localHostWithoutKvmBoot(),
        },
      );
      expect(sparsify.outcome.findings.map((f) => f.title)).toContain("Not the format its name says");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a base image clone made read-only blocks --replace, wherever its overlays went; the clone's journal names their folder (found by a new-user trial; real qemu-img)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mudanza-clonedbase-"));
    try {
      const base = join(dir, "base2.qcow2");
      execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", base, "8M"]);
      await mkdir(join(dir, "sub2"));
      const clone = cloneOptions(base, { namePattern: "vm{n}", outDir: join(dir, "sub2") });
      const cloned = await runLocal(buildImageClone(), clone, "yes");
      expect(cloned.outcome.status).toBe("done");
      const replace = validateSparsifyOptions({ disk: base, replace: true, uri: "qemu:///system" }, {});
      const { outcome } = await runLocal(buildImageSparsify(), replace, "dry-run", {
        host: await localHostWithoutKvmBoot(),
      });
      expect(outcome.status).toBe("blocked");
      const b = outcome.findings.find((f) => f.title === "The disk is read-only: the base of overlays");
      expect(b).toMatchObject({ blocks: true });
      expect(b?.summary).toMatch(new RegExp(`^${base} has no write bit \\(mode 444\\), as image clone leaves`));
      expect(b?.remediation).toMatch(/drop --replace.*chmod u\+w .*only if you know no overlay uses it/);
      // Without --replace the copy goes beside it: nothing to block.
      const copy = validateSparsifyOptions({ disk: base, uri: "qemu:///system" }, {});
      const beside = await runLocal(buildImageSparsify(), copy, "dry-run", { host: await localHostWithoutKvmBoot() });
      expect(beside.outcome.findings.map((f) => f.title)).not.toContain(b?.title);
      // Made writable again, it is found a base through the clone run's journal, which names where its overlay went.
      await chmod(base, 0o644);
      const users = "Other images back onto this disk";
      const recorded = await runLocal(buildImageSparsify(cloneRecordsIn(cloned.stateDir)), replace, "dry-run", {
        host: await localHostWithoutKvmBoot(),
      });
      expect(recorded.outcome.findings.find((f) => f.title === users)?.summary).toContain(
        join(dir, "sub2", "vm1.qcow2"),
      );
      // Without that journal, only the disk's own folder is scanned: this is why the read-only base blocks.
      const unrecorded = await runLocal(buildImageSparsify(), replace, "dry-run", {
        host: await localHostWithoutKvmBoot(),
      });
      expect(unrecorded.outcome.findings.map((f) => f.title)).not.toContain(users);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("an overlay whose backing file is gone, an empty file and a text file named .qcow2 block the dry run, as image info refuses them (found by a new-user trial; real qemu-img)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mudanza-unusable-"));
    try {
      const gone = join(dir, "b2.qcow2");
      execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", gone, "8M"]);
      const overlay = join(dir, "ov.qcow2");
      execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-b", "b2.qcow2", "-F", "qcow2", overlay]);
      await rm(gone);
      const empty = join(dir, "empty.qcow2");
      await writeFile(empty, "");
      const text = join(dir, "text.qcow2");
      await writeFile(text, "not a disk");
      const blockers = async (disk: string) => {
        const { outcome } = await runLocal(
          buildImageSparsify(),
          validateSparsifyOptions({ disk, uri: "qemu:///system" }, {}),
          "dry-run",
          { host: await localHostWithoutKvmBoot() },
        );
        expect(outcome.status).toBe("blocked");
        // no claim about a chain that does not open ("0 B allocated below it")
        expect(outcome.findings.map((f) => f.title)).not.toContain("The copy is standalone");
        return outcome.findings.filter((f) => f.blocks);
      };
      const broken = (await blockers(overlay)).find((f) => f.title === "Backing file cannot be opened");
      expect(broken?.summary).toMatch(
        new RegExp(
          `^${overlay} is an overlay on ${gone}, and qemu-img cannot open its backing chain: .*Could not open '${gone}'`,
        ),
      );
      expect(broken?.remediation).toBe(
        `put ${gone} back; if it moved, point the overlay at it: qemu-img rebase -u -F qcow2 -b NEW-PATH ${overlay}`,
      );
      const info = await runLocal(buildImageInfo(), { disk: overlay }, "dry-run", { host: new LocalHost("local") });
      expect(info.outcome.status).toBe("blocked");
      expect((await blockers(empty)).map((f) => f.title)).toContain("The file is empty");
      const notDisk = (await blockers(text)).find((f) => f.title === "Not a disk image");
      expect(notDisk?.summary).toContain(`${text} is 10 bytes, not a whole number of 512-byte sectors`);
      expect(notDisk?.remediation).toContain(`qemu-img info ${text}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("an overlay on a text file blocks sparsify and clone, as the text file itself does (found by a new-user trial; real qemu-img)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mudanza-raw-below-"));
    try {
      const text = join(dir, "notimg.txt");
      await writeFile(text, "hi\n");
      const overlay = join(dir, "ovtxt.qcow2");
      execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-b", "notimg.txt", "-F", "raw", overlay]);
      const sparsify = await runLocal(
        buildImageSparsify(),
        validateSparsifyOptions({ disk: overlay, uri: "qemu:///system" }, {}),
        "dry-run",
        { host: await localHostWithoutKvmBoot() },
      );
      const clone = await runLocal(buildImageClone(), cloneOptions(overlay), "dry-run");
      for (const { outcome } of [sparsify, clone]) {
        expect(outcome.status).toBe("blocked");
        expect(outcome.findings.find((f) => f.title === "Not a disk image")).toMatchObject({
          blocks: true,
          summary: expect.stringMatching(new RegExp(`^${text}, in the backing chain of ${overlay}, is 3 bytes`)),
        });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("image info blocks a 0-byte block device (an unattached loop device) instead of showing a raw disk of 0 B (found by a new-user trial)", async () => {
    const host = new ScriptedHost("local").putBlockDevice("/dev/loop3");
    const info = await fx("qemu-img/info-unattached-loop.json");
    host.on("qemu-img info -U --backing-chain --output=json /dev/loop3", { stdout: info });
    const { outcome } = await runLocal(buildImageInfo(), { disk: "/dev/loop3" }, "dry-run", { host });
    expect(outcome.status).toBe("blocked");
    expect(outcome.findings.find((f) => f.blocks)).toMatchObject({
      title: "The device is empty",
      summary:
        "/dev/loop3 is a device of 0 bytes (a loop device with no file attached, or a drive without a medium): there is no disk in it",
    });
    expect(host.mutations).toEqual([]);
  });

  it("rejects --out equal to the disk", () => {
    expect(() => validateSparsifyOptions({ disk: "/srv/vm/a.qcow2", out: "/srv/vm/a.qcow2", uri: "x" }, {})).toThrow(
      /--out must differ/,
    );
  });
});
