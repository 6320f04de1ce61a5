import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import type { Pipeline } from "../../src/engine/step.js";
import { ScriptedHost, type ScriptedReply } from "../../src/hosts/scripted-host.js";
import { validateSparsifyOptions } from "../../src/plan/options/image-sparsify.js";
import { buildImageSparsify } from "../../src/pipelines/image-sparsify/pipeline.js";
import { collectDryRun, renderDryRunMarkdown } from "../../src/report/dry-run-report.js";
import { runLocal } from "./run-local.js";

const fx = (p: string): Promise<string> => readFile(`fixtures/kvm/${p}`, "utf8");

/** A host with /dev/kvm, virt-sparsify and room; the KVM smoke boot answers `smoke` (real outputs, fixtures/kvm). */
async function kvmHost(smoke: ScriptedReply): Promise<ScriptedHost> {
  const info = await fx("qemu-img/info-base.json");
  const host = new ScriptedHost("local");
  host.putFile("/srv/vm/web1.qcow2", "");
  host.putFile("/dev/kvm", "", { mode: 0o660 });
  host.on("qemu-img info -U --output=json /srv/vm/web1.qcow2", { stdout: info });
  host.on("qemu-img info --output=json /srv/vm/web1.qcow2", { stdout: info });
  host.on("command -v virsh", { code: 1 });
  host.on("command -v virt-sparsify", { stdout: "/usr/bin/virt-sparsify\n" });
  host.on("command -v qemu-system-x86_64", { stdout: "/usr/bin/qemu-system-x86_64\n" });
  host.on("ls -1 /boot", { stdout: await fx("kvm-smoke/ls-boot.txt") });
  host.on(/^timeout --foreground --kill-after=5 60 qemu-system-x86_64 -accel kvm -cpu host /, smoke);
  host.on(/^df -P -T -B1 -- /, { stdout: await fx("df/df-PTB1-tmp.txt") });
  return host;
}

const plan = validateSparsifyOptions({ disk: "/srv/vm/web1.qcow2", tmpdir: "/srv/tmp", uri: "qemu:///system" }, {});

describe("image sparsify chooses KVM only when a kernel booted under it to its end", () => {
  it("KVM whose guest never reaches its end: libguestfs is forced onto TCG and the dry-run report says why", async () => {
    const host = await kvmHost({ code: 124, stderr: await fx("kvm-smoke/stopped-by-timeout.stderr") });
    const { outcome } = await runLocal(buildImageSparsify(), plan, "dry-run", { host });
    const probe = outcome.probes.sparsify!;
    expect(probe.commands[1]?.command).toMatch(
      /^env LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg LIBGUESTFS_CACHEDIR=\S+ TMPDIR=\S+ LIBGUESTFS_TMPDIR=\S+ XDG_RUNTIME_DIR=\S+ virt-sparsify /,
    );
    const report = renderDryRunMarkdown(
      collectDryRun(buildImageSparsify() as Pipeline<unknown>, { local: host.address }, outcome.probes, {}),
    );
    expect(report).toContain(
      "libguestfs runs under TCG (software CPU): a Linux kernel under KVM (-cpu host) did not reach its end within 60 s",
    );
    // The dry run that "changed nothing" booted a test VM: it says so, and for how long (found by a new-user trial).
    expect(report).toMatch(
      /\n- KVM check: booted a test VM \(the host's kernel under qemu-system-x86_64 -accel kvm, 128 MiB, no disk or network\) for \d+\.\d s: KVM does not run guests\n/,
    );
    expect(probe.facts?.kvmCheckSeconds).toEqual(expect.any(Number));
    expect(host.mutations).toEqual([]);
  });

  it("KVM that booted the kernel to its root-mount panic is used", async () => {
    const host = await kvmHost({ code: 0, stdout: await fx("kvm-smoke/kernel-boot-console.stdout") });
    const { outcome } = await runLocal(buildImageSparsify(), plan, "dry-run", { host });
    expect(outcome.probes.sparsify?.commands[1]?.command).toMatch(
      /^env LIBGUESTFS_BACKEND=direct LIBGUESTFS_CACHEDIR=\S+ TMPDIR=\S+ LIBGUESTFS_TMPDIR=\S+ XDG_RUNTIME_DIR=\S+ virt-sparsify /,
    );
    expect(outcome.probes.sparsify?.details).toContain("libguestfs runs under KVM");
  });
});
