import { describe, expect, it } from "vitest";
import { captureTarget, type TargetIdentity } from "../../src/steps/openvz-to-kvm/capture-target.js";
import { kernelInstall } from "../../src/steps/openvz-to-kvm/kernel-install.js";
import { rsyncStep } from "../../src/steps/openvz-to-kvm/rsync-step.js";
import { FACT } from "../../src/steps/openvz-to-kvm/plan.js";
import { loadPair, PAIRS } from "../pipelines/openvz-to-kvm/harness.js";
import { simulate, words } from "../pipelines/openvz-to-kvm/simulate.js";
import { stepContext } from "./context.js";

const glob = (pattern: string): RegExp =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);

/**
 * A VM installed with its root on LVM (anaconda's default; Debian's guided LVM) or RAID/LUKS: the
 * container has no lvm2, so the copy removes it, and the kernel's reinstall would build an initramfs
 * that cannot find the root. The package query answers like rpm -qa / dpkg-query -W: only installed
 * packages matching the patterns the command asks for.
 */
describe.each([
  [
    "alma",
    PAIRS.alma,
    ["grub2-pc", "grub2-tools", "dracut", "kmod", "lvm2", "device-mapper", "cryptsetup", "cryptsetup-libs"],
  ],
  [
    "debian",
    PAIRS.debian,
    [
      "grub-pc",
      "grub-common",
      "udev",
      "kmod",
      "initramfs-tools",
      "lvm2",
      "cryptsetup",
      "cryptsetup-initramfs",
      "dmsetup",
    ],
  ],
] as const)("%s target with its root on LVM inside LUKS", (_name, pair, installed) => {
  it("gets lvm2 and cryptsetup back with the kernel after the copy", async () => {
    const { plan, source, target } = await loadPair(pair.plan, { maxLivePasses: 1 });
    simulate(source, target, { family: pair.family, kernel: pair.kernel, passBytes: [0] });
    const query =
      pair.family === "rhel"
        ? /^rpm -qa --qf /
        : /^dpkg-query -W -f '\$\{db:Status-Abbrev\} \$\{binary:Package\}\\n' 'grub\*'/;
    target.on(query, (command) => {
      const patterns = words(command).slice(4).map(glob);
      const hits = installed.filter((p) => patterns.some((re) => re.test(p)));
      return { stdout: hits.map((p) => (pair.family === "rhel" ? `${p}\n` : `ii  ${p}\n`)).join("") };
    });
    const { ctx, facts } = stepContext(plan, { source, target });
    await captureTarget.run(ctx, (await captureTarget.probe(ctx)).plan);
    expect((facts[FACT.targetIdentity] as TargetIdentity).bootPackages).toEqual(
      expect.arrayContaining(["lvm2", "cryptsetup"]),
    );
    await rsyncStep.run(ctx, (await rsyncStep.probe(ctx)).plan);
    const probe = await kernelInstall.probe(ctx);
    expect(probe.facts?.packages).toEqual(expect.arrayContaining(["lvm2", "cryptsetup"]));
    const install = probe.commands.find((c) => / install /.test(c.command));
    expect(words(install!.command)).toEqual(expect.arrayContaining(["lvm2", "cryptsetup"]));
  });
});
