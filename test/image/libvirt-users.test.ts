import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";
import { buildImageClone } from "../../src/pipelines/image-clone/pipeline.js";
import { validateSparsifyOptions } from "../../src/plan/options/image-sparsify.js";
import { buildImageSparsify } from "../../src/pipelines/image-sparsify/pipeline.js";
import type { Pipeline } from "../../src/engine/step.js";
import { collectDryRun, renderDryRunMarkdown } from "../../src/report/dry-run-report.js";
import { runLocal } from "./run-local.js";
import { cloneOptions } from "./clone-options.js";

// The scripted KVM host: libvirt has web1 (running, /var/lib/libvirt/images/web1.qcow2) and legacy (shut off, legacy.img).
async function kvmHost(disk: string, locked: boolean) {
  const host = await loadScriptedHost("fixtures/kvm/hosts/kvm-host", "local");
  const info = (await readFile("fixtures/kvm/qemu-img/info-base.json", "utf8")).replace(
    '"base.qcow2"',
    JSON.stringify(disk),
  );
  host.putDir("/var/lib/libvirt/images").putFile(disk, "");
  // protect-base's look for clones already standing on the base: none.
  host.on(/^standing=''/, { stdout: "" });
  // create-overlays' look for temporary names a killed run left: none.
  host.on(/^for f in .*\/\.mudanza-new-\[/, { stdout: "" });
  host.on(`qemu-img info -U --output=json ${disk}`, { stdout: info });
  host.on(
    `qemu-img info --output=json ${disk}`,
    locked ? { code: 1, stderr: await readFile("fixtures/kvm/qemu-img/info-locked.stderr", "utf8") } : { stdout: info },
  );
  return host;
}

describe("disks that libvirt domains use", () => {
  it("clone: a base the running web1 writes to is blocked (lock) and web1 is named as a writer", async () => {
    const base = "/var/lib/libvirt/images/web1.qcow2";
    const host = await kvmHost(base, true);
    const plan = cloneOptions(base);
    const { outcome } = await runLocal(buildImageClone(), plan, "dry-run", { host });
    expect(outcome.status).toBe("blocked");
    expect(outcome.findings.find((f) => f.blocks)?.title).toBe("Base image is in use");
    expect(outcome.findings.find((f) => f.title === "A VM writes to the base")?.summary).toMatch(/"web1" \(running\)/);
    expect(host.mutations).toEqual([]);
  });

  it("clone: a shut-off VM that still has the base as its writable disk is a warning, not a blocker", async () => {
    const base = "/var/lib/libvirt/images/legacy.img";
    const host = await kvmHost(base, false);
    const plan = cloneOptions(base);
    const { outcome } = await runLocal(buildImageClone(), plan, "dry-run", { host });
    expect(outcome.findings.filter((f) => f.blocks)).toEqual([]);
    expect(outcome.findings.find((f) => f.title === "A VM writes to the base")?.summary).toMatch(
      /"legacy" \(shut off\)/,
    );
  });

  it("sparsify: the disk of a running libvirt domain blocks", async () => {
    const disk = "/var/lib/libvirt/images/web1.qcow2";
    const host = await kvmHost(disk, false);
    host.on("command -v virt-sparsify", { stdout: "/usr/bin/virt-sparsify\n" });
    host.on(/^df -P -T -B1 -- /, { stdout: await readFile("fixtures/kvm/df/df-PTB1-tmp.txt", "utf8") });
    const { outcome } = await runLocal(
      buildImageSparsify(),
      validateSparsifyOptions({ disk, uri: "qemu:///system", tmpdir: "/var/tmp" }, {}),
      "dry-run",
      { host },
    );
    expect(outcome.status).toBe("blocked");
    expect(outcome.findings.filter((f) => f.blocks).map((f) => f.title)).toEqual(["Disk belongs to a running VM"]);
    expect(host.mutations).toEqual([]);
  });

  it("sparsify: when libvirt does not answer, the report says the VM check could not run (found by a new-user trial)", async () => {
    const disk = "/var/lib/libvirt/images/web1.qcow2";
    const host = await kvmHost(disk, false);
    host.on("command -v virt-sparsify", { stdout: "/usr/bin/virt-sparsify\n" });
    host.on(/^df -P -T -B1 -- /, { stdout: await readFile("fixtures/kvm/df/df-PTB1-tmp.txt", "utf8") });
    // The fixture answers only qemu:///system: qemu:///session does not answer, as a stopped libvirtd would not.
    const { outcome } = await runLocal(
      buildImageSparsify(),
      validateSparsifyOptions({ disk, uri: "qemu:///session", tmpdir: "/var/tmp" }, {}),
      "dry-run",
      { host },
    );
    const report = renderDryRunMarkdown(
      collectDryRun(buildImageSparsify() as Pipeline<unknown>, { local: host.address }, outcome.probes, {}),
    );
    expect(report).toMatch(
      new RegExp(
        `libvirt: the VM check could not run \\(libvirt at qemu:///session did not answer: .*\\): a running VM is found only by its write lock on ${disk}`,
      ),
    );
    const answered = await runLocal(
      buildImageSparsify(),
      validateSparsifyOptions(
        { disk: "/var/lib/libvirt/images/legacy.img", uri: "qemu:///system", tmpdir: "/var/tmp" },
        {},
      ),
      "dry-run",
      { host: await kvmHost("/var/lib/libvirt/images/legacy.img", false) },
    );
    expect(answered.outcome.probes.sparsify?.facts?.libvirt).toBe("2 domain(s) checked for this disk");
  });
});
