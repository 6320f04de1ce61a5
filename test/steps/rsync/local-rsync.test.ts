import { lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ProgressInfo } from "../../../src/engine/events.js";
import { LocalHost } from "../../../src/hosts/local-host.js";
import {
  COMMON_EXCLUDES,
  mergeExcludes,
  rsyncCommand,
  runRsyncPass,
  type ExcludeEntry,
} from "../../../src/steps/rsync/index.js";
import { debian } from "../../../src/distro/debian.js";

/** Real rsync between two local trees: the command the pipeline runs on the source, with the remote part a local path. */
async function tree(root: string, files: Record<string, string | { link: string }>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    await mkdir(dirname(full), { recursive: true });
    if (typeof content === "string") await writeFile(full, content);
    else await symlink(content.link, full);
  }
}

const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mudanza-rsync-"));
  temps.push(dir);
  return dir;
}

const exists = async (p: string): Promise<boolean> =>
  lstat(p).then(
    () => true,
    () => false,
  );

async function pass(from: string, to: string, excludes: ExcludeEntry[], keepDirlinks = false) {
  const progress: ProgressInfo[] = [];
  const output: string[] = [];
  const command = rsyncCommand({ from, to, excludes, keepDirlinks });
  const result = await runRsyncPass(
    new LocalHost("source"),
    command,
    "test pass",
    { progress: (p) => progress.push(p), output: (l) => output.push(l) },
    { timeoutMs: 60_000 },
  );
  return { result, progress, output, command };
}

describe("the rsync command the pipeline builds, run for real between local directories", () => {
  it("copies, deletes, keeps every excluded path on the receiver, and reports progress", async () => {
    const base = await tempDir();
    const src = join(base, "src");
    const dst = join(base, "dst");
    await tree(src, {
      "etc/hostname": "web1\n",
      "etc/fstab": "none /dev/pts devpts rw 0 0\n",
      "etc/kernel/postinst.d/zz-container": "#!/bin/sh\n",
      "usr/bin/tool": "#!/bin/sh\necho tool\n",
      "usr/lib/modules/3.10.0-vz7/dummy.ko": "container junk\n",
      lib: { link: "usr/lib" },
      bin: { link: "usr/bin" },
      "data/big.bin": "x".repeat(3 * 1024 * 1024),
      'srv/it\'s a "weird" name $x.txt': "quoted\n",
      "srv/[odd]*dir/file": "literal glob dir\n",
      "srv/oXdir/file": "matched only by an unescaped glob\n",
      "tmp/scratch": "source tmp\n",
      "root/.mudanza-migrate/id_ed25519.pub": "ssh-ed25519 AAAA test\n",
    });
    await tree(dst, {
      "etc/fstab": "UUID=abc / ext4 defaults 0 1\n",
      "etc/kernel/postinst.d/zz-update-grub": "#!/bin/sh\n",
      "boot/vmlinuz-6.1.0-35-amd64": "kernel\n",
      "usr/lib/modules/6.1.0-35-amd64/virtio_blk.ko": "vm module\n",
      lib: { link: "usr/lib" },
      bin: { link: "usr/bin" },
      "stale.txt": "only on the VM\n",
      "tmp/vm-tmp": "vm tmp\n",
      "root/mudanza-backup/2026/etc/network/interfaces": "backup\n",
      "srv/[odd]*dir/file": "the VM's copy\n",
    });
    const excludes = mergeExcludes(COMMON_EXCLUDES, debian.excludes, [
      { path: "/srv/[odd]*dir", reason: "test: a literal glob character" },
    ]);
    const first = await pass(src, dst, excludes);
    expect(first.result.code, first.output.join("\n")).toBe(0);

    // Copied, with hostile names intact; deleted what the source lacks.
    expect(await readFile(join(dst, "etc/hostname"), "utf8")).toBe("web1\n");
    expect(await readFile(join(dst, 'srv/it\'s a "weird" name $x.txt'), "utf8")).toBe("quoted\n");
    expect(await exists(join(dst, "stale.txt"))).toBe(false);
    // Excluded paths stay as the VM had them, including through the usrmerged /lib link.
    expect(await readFile(join(dst, "etc/fstab"), "utf8")).toBe("UUID=abc / ext4 defaults 0 1\n");
    expect(await exists(join(dst, "etc/kernel/postinst.d/zz-update-grub"))).toBe(true);
    expect(await exists(join(dst, "etc/kernel/postinst.d/zz-container"))).toBe(false);
    expect(await readFile(join(dst, "boot/vmlinuz-6.1.0-35-amd64"), "utf8")).toBe("kernel\n");
    expect(await exists(join(dst, "usr/lib/modules/6.1.0-35-amd64/virtio_blk.ko"))).toBe(true);
    expect(await exists(join(dst, "usr/lib/modules/3.10.0-vz7"))).toBe(false);
    expect(await readFile(join(dst, "tmp/vm-tmp"), "utf8")).toBe("vm tmp\n");
    expect(await exists(join(dst, "tmp/scratch"))).toBe(false);
    expect(await exists(join(dst, "root/.mudanza-migrate"))).toBe(false);
    expect(await exists(join(dst, "root/mudanza-backup/2026/etc/network/interfaces"))).toBe(true);
    expect(await readlink(join(dst, "lib"))).toBe("usr/lib");
    // The admin's glob characters are literal: only that directory is protected.
    expect(await readFile(join(dst, "srv/[odd]*dir/file"), "utf8")).toBe("the VM's copy\n");
    expect(await readFile(join(dst, "srv/oXdir/file"), "utf8")).toBe("matched only by an unescaped glob\n");

    // Stats and progress come from rsync's own output.
    expect(first.result.stats.deletedFiles).toBeGreaterThanOrEqual(1);
    expect(first.result.stats.transferredFileSize).toBeGreaterThan(3 * 1024 * 1024);
    expect(first.progress.length).toBeGreaterThan(0);
    expect(first.progress.at(-1)).toMatchObject({ label: "test pass" });
    expect(first.progress.at(-1)!.percent).toBeGreaterThanOrEqual(99);
    expect(first.progress.at(-1)!.bytesDone).toBeGreaterThan(3 * 1024 * 1024);

    // A second pass sends nothing: the changed data shrank to zero.
    const second = await pass(src, dst, excludes);
    expect(second.result.code).toBe(0);
    expect(second.result.stats.transferredFileSize).toBe(0);
  });

  it("--keep-dirlinks keeps a receiver's /lib -> usr/lib link when the sender has a directory", async () => {
    const base = await tempDir();
    const src = join(base, "src");
    const dst = join(base, "dst");
    await tree(src, { "lib/x86_64-linux-gnu/libfoo.so": "foo\n", "usr/lib/x86_64-linux-gnu/libfoo.so": "foo\n" });
    await tree(dst, { lib: { link: "usr/lib" }, "usr/lib/x86_64-linux-gnu/libfoo.so": "old\n" });
    const kept = await pass(src, dst, [], true);
    expect(kept.result.code).toBe(0);
    expect(await readlink(join(dst, "lib"))).toBe("usr/lib");
    expect(kept.command).toContain("--keep-dirlinks");

    const base2 = await tempDir();
    await tree(join(base2, "src"), { "lib/x86_64-linux-gnu/libfoo.so": "foo\n" });
    await tree(join(base2, "dst"), { lib: { link: "usr/lib" }, "usr/lib/keep": "x\n" });
    const replaced = await pass(join(base2, "src"), join(base2, "dst"), [], false);
    expect(replaced.result.code).toBe(0);
    expect((await lstat(join(base2, "dst/lib"))).isDirectory()).toBe(true); // what -K prevents
  });

  it("the quick check keeps a VM file whose size and mtime match the source's; --checksum replaces it", async () => {
    const base = await tempDir();
    const src = join(base, "src");
    const dst = join(base, "dst");
    await tree(src, { "etc/issue": "Debian GNU/Linux 12 (source)\n" });
    await tree(dst, { "etc/issue": "Debian GNU/Linux 12 (vm!!!!)\n" }); // same size, other content
    const when = new Date("2026-01-02T03:04:05Z");
    await utimes(join(src, "etc/issue"), when, when);
    await utimes(join(dst, "etc/issue"), when, when);
    const host = new LocalHost("source");
    const sink = { progress: () => undefined, output: () => undefined };
    const quick = await runRsyncPass(
      host,
      rsyncCommand({ from: src, to: dst, excludes: [], keepDirlinks: false }),
      "quick",
      sink,
      { timeoutMs: 60_000 },
    );
    expect(quick.code).toBe(0);
    expect(await readFile(join(dst, "etc/issue"), "utf8")).toBe("Debian GNU/Linux 12 (vm!!!!)\n");
    const checksum = await runRsyncPass(
      host,
      rsyncCommand({ from: src, to: dst, excludes: [], keepDirlinks: false, compareContent: true }),
      "checksum",
      sink,
      { timeoutMs: 60_000 },
    );
    expect(checksum.code).toBe(0);
    expect(await readFile(join(dst, "etc/issue"), "utf8")).toBe("Debian GNU/Linux 12 (source)\n");
  });
});
