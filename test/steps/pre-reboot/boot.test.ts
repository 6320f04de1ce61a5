import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { modulesBuiltin, modulesInListing, requiredDrivers } from "../../../src/steps/host/initramfs.js";
import { preRebootCheck } from "../../../src/steps/openvz-to-kvm/pre-reboot-check.js";
import { blocking, FAMILIES, migratedVm } from "./harness.js";

const DEB_K = FAMILIES.debian.kernel;
const EL_K = FAMILIES.rhel.kernel;

describe("pre-reboot check: fstab devices", () => {
  it("Debian: a UUID blkid does not list blocks; with nofail it only warns", async () => {
    const { target, probe } = await migratedVm("debian");
    const fstab = target.files.get("/etc/fstab")!.content;
    target.putFile("/etc/fstab", `${fstab}UUID=9d9d9d9d-0000-4000-8000-000000000001 /srv ext4 defaults 0 2\n`);
    const [finding, ...rest] = blocking((await probe()).findings);
    expect(rest).toEqual([]);
    expect(finding!.summary).toMatch(
      /mounts UUID=9d9d9d9d-0000-4000-8000-000000000001 on \/srv, a device the VM does not have \(blkid lists \/dev\/vda1, \/dev\/vda5\): systemd would stop the boot in emergency mode/,
    );
    expect(finding!.remediation).toMatch(/correct the line for \/srv in the target's \/etc\/fstab/);
    target.putFile("/etc/fstab", `${fstab}UUID=9d9d9d9d-0000-4000-8000-000000000001 /srv ext4 defaults,nofail 0 2\n`);
    const again = (await probe()).findings;
    expect(blocking(again)).toEqual([]);
    expect(again.map((f) => f.title)).toContain("fstab names a missing device");
  });

  it("EL: a LABEL and a /dev path the VM lacks block; network and pseudo filesystems are not devices", async () => {
    const { target, probe } = await migratedVm("rhel");
    const fstab = target.files.get("/etc/fstab")!.content;
    target.putFile(
      "/etc/fstab",
      `${fstab}LABEL=data /data xfs defaults 0 0\n/dev/mapper/vg0-home /home xfs defaults 0 0\nnfs1.example.net:/export /mnt/nfs nfs defaults 0 0\ntmpfs /dev/shm tmpfs defaults 0 0\n`,
    );
    expect(blocking((await probe()).findings).map((f) => f.summary.split(",")[0])).toEqual([
      "/etc/fstab mounts LABEL=data on /data",
      "/etc/fstab mounts /dev/mapper/vg0-home on /home",
    ]);
    target.putFile("/dev/mapper/vg0-home", "");
    expect(blocking((await probe()).findings)).toHaveLength(1);
  });
});

describe("pre-reboot check: initramfs drivers (repaired by its run)", () => {
  it("the real Debian listing holds virtio_blk and ext4; modules.builtin lines count as present", () => {
    const listing = modulesInListing(readFileSync("fixtures/hosts/debian-12-kvm-target/lsinitramfs.txt", "utf8"));
    expect(listing.has("virtio_blk") && listing.has("ext4") && listing.has("virtio_scsi")).toBe(true);
    expect(
      modulesInListing(
        "-rw-r--r--   1 root     root        44404 Nov 14 09:14 usr/lib/modules/x/kernel/drivers/md/dm-mod.ko.xz\n",
      ).has("dm_mod"),
    ).toBe(true);
    expect(modulesBuiltin("kernel/fs/ext4/ext4.ko\nkernel/drivers/block/virtio_blk.ko\n")).toEqual(
      new Set(["ext4", "virtio_blk"]),
    );
    expect(requiredDrivers({ source: "/dev/mapper/vg0-root", fstype: "xfs" }).map((n) => n.anyOf.join("|"))).toEqual([
      "virtio_blk|virtio_scsi",
      "dm_mod",
      "xfs",
    ]);
  });

  it("Debian: an initrd without virtio_blk is rebuilt before the reboot, and verify reads it again", async () => {
    const { target, probe, ctx, facts } = await migratedVm("debian");
    const full = readFileSync("fixtures/hosts/debian-12-kvm-target/lsinitramfs.txt", "utf8");
    let listing = full
      .split("\n")
      .filter((l) => !l.includes("virtio_blk"))
      .join("\n");
    target.on(`lsinitramfs /boot/initrd.img-${DEB_K}`, () => ({ stdout: listing }));
    target.on(
      `update-initramfs -u -k ${DEB_K}`,
      () => ((listing = full), { stdout: `update-initramfs: Generating /boot/initrd.img-${DEB_K}\n` }),
      { mutates: true },
    );
    const probed = await probe();
    expect(blocking(probed.findings)).toEqual([]);
    expect(probed.satisfied).toBe(false);
    expect(probed.findings.find((f) => f.title === "Initramfs cannot mount the root")?.remediation).toBe(
      `rebuilt before the reboot: update-initramfs -u -k ${DEB_K}`,
    );
    expect(probed.commands.map((c) => c.command)).toEqual([`update-initramfs -u -k ${DEB_K}`]);
    expect((await preRebootCheck.verify(ctx)).ok).toBe(false);
    await preRebootCheck.run(ctx, probed.plan);
    expect((await preRebootCheck.verify(ctx)).ok).toBe(true);
    expect(facts.preRebootCheck).toMatchObject({ fixed: [{ kind: "initramfs" }] });
  });

  it("EL: an initramfs without xfs gets dracut --add-drivers xfs; a driver built into the kernel needs nothing", async () => {
    const { target, probe } = await migratedVm("rhel");
    const listing = readFileSync("fixtures/hosts/almalinux-8.9-kvm-target/lsinitrd.txt", "utf8")
      .split("\n")
      .filter((l) => !l.includes("/xfs.ko"))
      .join("\n");
    target.on(`lsinitrd /boot/initramfs-${EL_K}.img`, { stdout: listing });
    expect((await probe()).commands.map((c) => c.command)).toEqual([
      `dracut -f --add-drivers xfs /boot/initramfs-${EL_K}.img ${EL_K}`,
    ]);
    target.putFile(`/usr/lib/modules/${EL_K}/modules.builtin`, "kernel/fs/xfs/xfs.ko\n");
    expect((await probe()).satisfied).toBe(true);
  });
});

describe("pre-reboot check: the boot loader names the kernel (regenerated by its run)", () => {
  it("Debian: a grub.cfg without the kernel plans update-grub", async () => {
    const { target, probe } = await migratedVm("debian");
    target.putFile(
      "/boot/grub/grub.cfg",
      "# generated by grub-mkconfig\nmenuentry 'Debian GNU/Linux' {\n\tlinux\t/boot/vmlinuz-6.1.0-18-amd64 root=UUID=3f2e1d0c-9b8a-4765-8321-0fedcba98765 ro quiet\n}\n",
    );
    const probed = await probe();
    expect(probed.findings.find((f) => f.title === "Boot loader does not name the kernel")).toMatchObject({
      blocks: false,
      remediation: "regenerated before the reboot: update-grub",
    });
    expect(probed.commands.map((c) => c.command)).toEqual(["update-grub"]);
  });

  it("EL: no BLS entry for the kernel plans kernel-install add (the BLS entries are what grub reads)", async () => {
    const { target, probe } = await migratedVm("rhel");
    target.on("ls -1A /boot/loader/entries", { stdout: "b7e4d2c19a3f4e5d8c7b6a5f4e3d2c1b-0-rescue.conf\n" });
    const probed = await probe();
    expect(probed.findings.find((f) => f.title === "Boot loader does not name the kernel")?.summary).toMatch(
      /\/boot\/loader\/entries\/ does not name 4\.18\.0-513/,
    );
    expect(probed.commands.map((c) => c.command)).toEqual([`kernel-install add ${EL_K} /lib/modules/${EL_K}/vmlinuz`]);
  });

  it("EL without BLS: a grub.cfg that lacks the kernel plans grub2-mkconfig", async () => {
    const { target, probe } = await migratedVm("rhel");
    target.deleteFile("/boot/loader/entries");
    target.putFile(
      "/boot/grub2/grub.cfg",
      "menuentry 'CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)' {\n\tlinux16 /vmlinuz-3.10.0-1160.el7.x86_64 root=UUID=6b1e0a4f ro\n}\n",
    );
    expect((await probe()).commands.map((c) => c.command)).toEqual(["grub2-mkconfig -o /boot/grub2/grub.cfg"]);
  });
});

describe("pre-reboot check: /etc/hosts (rewritten by its run)", () => {
  it("the hostname on the container's venet address gets the VM's address; the old file is kept", async () => {
    const { source, target, probe, ctx } = await migratedVm("debian");
    for (const p of ["/etc/hosts", "/etc/hostname"]) target.putFile(p, source.files.get(p)!.content);
    target.on(
      /^if test -e \/etc\/hosts \|\| test -L \/etc\/hosts; then mkdir -p \S+ && cp -a \/etc\/hosts \S+; fi$/,
      (command, h) => {
        h.putFile(command.split(" ").at(-2)!.replace(/;$/, ""), h.files.get("/etc/hosts")!.content);
        return {};
      },
      { mutates: true },
    );
    const probed = await probe();
    expect(probed.findings.find((f) => f.title === "/etc/hosts names the container's address")?.summary).toMatch(
      /maps db1\.example\.net to the container's address \(198\.18\.10\.31 -> 198\.18\.20\.11 for db1\.example\.net db1\)/,
    );
    expect(probed.commands.map((c) => c.command)).toEqual([
      expect.stringMatching(/^if test -e \/etc\/hosts/),
      "(write /etc/hosts, mode 644)",
    ]);
    await preRebootCheck.run(ctx, probed.plan);
    expect(target.files.get("/etc/hosts")!.content).toBe("127.0.0.1\tlocalhost\n198.18.20.11 db1.example.net db1\n");
    expect(target.files.get(`${probed.plan!.backupDir}/etc/hosts`)!.content).toMatch(/198\.18\.10\.31/);
    expect((await preRebootCheck.verify(ctx)).ok).toBe(true);
  });
});

describe("pre-reboot check: before the copy", () => {
  it("waits for the migrated tree and reads nothing on the target", async () => {
    const { target, ctx, facts } = await migratedVm("debian");
    delete facts.finalSyncAt;
    const before = target.log.length;
    const probed = await preRebootCheck.probe(ctx);
    expect(probed).toMatchObject({ satisfied: false, plan: null, findings: [] });
    expect(probed.details).toEqual([
      expect.stringMatching(/checked once the final pass, network fixup, kernel install and package restore are done/),
    ]);
    expect(target.log.length).toBe(before);
  });
});
