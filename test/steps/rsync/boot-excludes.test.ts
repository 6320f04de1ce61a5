import { lstat, mkdir, mkdtemp, readFile, readlink, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { debian } from "../../../src/distro/debian.js";
import { rhel } from "../../../src/distro/rhel.js";
import { LocalHost } from "../../../src/hosts/local-host.js";
import { COMMON_EXCLUDES, mergeExcludes, rsyncCommand, runRsyncPass } from "../../../src/steps/rsync/index.js";

type Tree = Record<string, string | { link: string }>;

async function build(root: string, tree: Tree): Promise<void> {
  for (const [path, content] of Object.entries(tree)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    if (typeof content === "string") await writeFile(join(root, path), content);
    else await symlink(content.link, join(root, path));
  }
}

/**
 * Files a VM needs to boot that a container either lacks or carries its own (useless) version of. Each
 * must be exactly the VM's after a real rsync pass with the pipeline's excludes and --delete.
 */
const BOOT_FILES_COMMON = [
  "boot/grub2/grub.cfg",
  "boot/efi/EFI/almalinux/grubx64.efi",
  "boot/loader/entries/0123-4.18.0.conf",
  "etc/fstab",
  "etc/crypttab",
  "etc/default/grub",
  "etc/default/grub.d/50-cloudimg-settings.cfg",
  "etc/grub.d/40_custom",
  "etc/kernel/cmdline",
  "etc/kernel/postinst.d/zz-update-grub",
  "etc/lvm/lvm.conf",
  "etc/lvm/devices/system.devices",
  "etc/mdadm.conf",
  "etc/mdadm/mdadm.conf",
  "etc/modprobe.d/virtio.conf",
  "etc/modules-load.d/virtio.conf",
  "etc/udev/rules.d/70-persistent-net.rules",
];
const BOOT_FILES_FAMILY = {
  rhel: ["etc/dracut.conf", "etc/dracut.conf.d/virtio.conf", "etc/sysconfig/kernel", "etc/selinux/config"],
  debian: ["etc/initramfs-tools/modules", "etc/modules", "etc/kernel-img.conf"],
};
/** Kernel modules, firmware and udev rules live under /lib on unmerged systems, under /usr/lib on merged ones. */
const LIB_FILES = [
  "modules/6.1.0-35-amd64/kernel/drivers/block/virtio_blk.ko",
  "firmware/regulatory.db",
  "udev/rules.d/60-persistent-storage.rules",
];

async function copyAndCheck(family: "rhel" | "debian", merged: boolean): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), `mudanza-boot-${family}-${merged ? "merged" : "split"}-`));
  const src = join(base, "src");
  const dst = join(base, "dst");
  const libDir = merged ? "usr/lib" : "lib";
  const links: Tree = merged ? { lib: { link: "usr/lib" }, bin: { link: "usr/bin" }, sbin: { link: "usr/sbin" } } : {};
  const vmFiles = [...BOOT_FILES_COMMON, ...BOOT_FILES_FAMILY[family], ...LIB_FILES.map((f) => `${libDir}/${f}`)];
  // The container has some of the same paths with its own content, and lacks the rest (--delete's chance).
  // A container template's masks (systemctl mask: links to /dev/null) must not reach the VM.
  const masks: Tree = Object.fromEntries(
    ["systemd-udevd.service", "systemd-udev-trigger.service", "getty@.service", "serial-getty@.service"].map((u) => [
      `etc/systemd/system/${u}`,
      { link: "/dev/null" },
    ]),
  );
  const container: Tree = {
    ...links,
    ...masks,
    "etc/hostname": "web1\n",
    "etc/fstab": "none /dev/pts devpts rw 0 0\n",
    "etc/kernel/postinst.d/container-hook": "#!/bin/sh\n",
    "etc/modprobe.d/container.conf": "blacklist x\n",
    [`${libDir}/modules/3.10.0-1160.vz7/modules.dep`]: "container junk\n",
    "usr/bin/true": "bin\n",
  };
  const vm: Tree = { ...links, "usr/bin/true": "vm bin\n" };
  for (const f of vmFiles) vm[f] = `the VM's ${f}\n`;
  if (family === "debian")
    for (const [l, to] of [
      ["vmlinuz", "boot/vmlinuz-6.1.0-35-amd64"],
      ["initrd.img", "boot/initrd.img-6.1.0-35-amd64"],
    ] as const)
      vm[l] = { link: to };
  vm["etc/systemd/system/getty.target.wants/getty@tty1.service"] = { link: "/usr/lib/systemd/system/getty@.service" };
  await build(src, container);
  await build(dst, vm);

  const excludes = mergeExcludes(COMMON_EXCLUDES, (family === "rhel" ? rhel : debian).excludes);
  const command = rsyncCommand({ from: src, to: dst, excludes, keepDirlinks: merged });
  const result = await runRsyncPass(
    new LocalHost("source"),
    command,
    "pass",
    { progress: () => {}, output: () => {} },
    { timeoutMs: 60_000 },
  );
  expect(result.code, result.stderrTail).toBe(0);

  const changed: string[] = [];
  for (const f of vmFiles) {
    const now = await readFile(join(dst, f), "utf8").catch(() => "(missing)");
    if (now !== `the VM's ${f}\n`) changed.push(`${f}: ${now.trim()}`);
  }
  expect(changed).toEqual([]);
  // Nothing of the container's arrives in those places; the rest of the tree is the container's.
  expect(
    await lstat(join(dst, "etc/kernel/postinst.d/container-hook")).then(
      () => true,
      () => false,
    ),
  ).toBe(false);
  expect(
    await lstat(join(dst, `${libDir}/modules/3.10.0-1160.vz7`)).then(
      () => true,
      () => false,
    ),
  ).toBe(false);
  expect(await readFile(join(dst, "etc/hostname"), "utf8")).toBe("web1\n");
  expect(await readFile(join(dst, "usr/bin/true"), "utf8")).toBe("bin\n");
  if (merged) expect(await readlink(join(dst, "lib"))).toBe("usr/lib");
  if (family === "debian") expect(await readlink(join(dst, "vmlinuz"))).toBe("boot/vmlinuz-6.1.0-35-amd64");
  if (family === "debian") expect(await readlink(join(dst, "initrd.img"))).toBe("boot/initrd.img-6.1.0-35-amd64");
  for (const mask of Object.keys(masks))
    expect(
      await lstat(join(dst, mask)).then(
        () => mask,
        () => "absent",
      ),
    ).toBe("absent");
  expect(await readlink(join(dst, "etc/systemd/system/getty.target.wants/getty@tty1.service"))).toBe(
    "/usr/lib/systemd/system/getty@.service",
  );
}

describe("a real rsync pass with the pipeline's excludes keeps everything the VM boots with", () => {
  for (const family of ["rhel", "debian"] as const) {
    it(`${family}, usrmerged (/lib -> usr/lib)`, () => copyAndCheck(family, true));
    it(`${family}, unmerged (/lib a directory)`, () => copyAndCheck(family, false));
  }
});
