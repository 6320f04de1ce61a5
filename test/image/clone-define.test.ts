import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDomainXml } from "../../src/kvm/domain-xml.js";
import { ScriptedHost } from "../../src/hosts/scripted-host.js";
import { validateCloneOptions, cloneTargets } from "../../src/plan/options/image-clone.js";
import { buildImageClone } from "../../src/pipelines/image-clone/pipeline.js";
import { cloneDomainXml } from "../../src/steps/image/define-domains.js";
import { runLocal } from "./run-local.js";

const hasVirsh = (() => {
  try {
    execFileSync("sh", ["-c", "command -v virsh"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const plan = validateCloneOptions({
  base: "/srv/vm/base.qcow2",
  count: 2,
  namePattern: "lab{n}",
  start: 1,
  define: true,
  bridge: "br1",
  memoryBytes: 2 * 1024 ** 3,
  vcpus: 2,
  uri: "qemu:///system",
});

describe("image clone --define", () => {
  it.skipIf(!hasVirsh)(
    "generates domain XML that real libvirt accepts, with a virtio disk and a virtio NIC on the bridge",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "mudanza-xml-"));
      try {
        const target = cloneTargets(plan)[0]!;
        const file = join(dir, "lab1.xml");
        await writeFile(file, cloneDomainXml(plan, target));
        // libvirt's test driver parses and validates the XML like the real daemon, in memory.
        const dumped = execFileSync("virsh", ["-c", "test:///default", `define ${file}; dumpxml lab1`], {
          encoding: "utf8",
        });
        const d = parseDomainXml(dumped.slice(dumped.indexOf("<domain")));
        expect(d.name).toBe("lab1");
        expect(d.memoryBytes).toBe(2 * 1024 ** 3);
        expect(d.disks).toEqual([
          { device: "disk", bus: "virtio", source: "/srv/vm/lab1.qcow2", target: "vda", readonly: false },
        ]);
        expect(d.nics).toEqual([{ type: "bridge", model: "virtio", source: "br1" }]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it("escapes names and paths in the XML", () => {
    const xml = cloneDomainXml(
      { ...plan, bridge: "br0" },
      { name: "a&b", path: "/srv/it's<here>.qcow2", backingRef: "x" },
    );
    expect(xml).toContain("<name>a&amp;b</name>");
    expect(xml).toContain("<source file='/srv/it&apos;s&lt;here&gt;.qcow2'/>");
    expect(parseDomainXml(xml).disks[0]?.source).toBe("/srv/it's<here>.qcow2");
  });

  it("blocks clearly when virsh is absent, before any overlay is made", async () => {
    const host = new ScriptedHost("local");
    host.putFile("/srv/vm/base.qcow2", "").putDir("/srv/vm");
    const info = JSON.stringify({
      filename: "/srv/vm/base.qcow2",
      format: "qcow2",
      "virtual-size": 1 << 30,
      "actual-size": 1 << 20,
    });
    host.on("qemu-img info -U --output=json /srv/vm/base.qcow2", { stdout: info });
    host.on("qemu-img info --output=json /srv/vm/base.qcow2", { stdout: info });
    host.on("command -v virsh", { code: 1 });
    // protect-base's look for clones already standing on the base: none.
    host.on(/^standing=''/, { stdout: "" });
    // create-overlays' look for temporary names a killed run left: none.
    host.on(/^for f in .*\/\.mudanza-new-\[/, { stdout: "" });
    // create-overlays' look for temporary names a killed run left: none.
    host.on(/^for f in .*\/\.mudanza-new-\[/, { stdout: "" });
    const { outcome } = await runLocal(buildImageClone(), plan, "yes", { host });
    expect(outcome.status).toBe("blocked");
    const b = outcome.findings.find((f) => f.title === "virsh not found");
    expect(b?.remediation).toMatch(/apt-get install libvirt-clients/);
    expect(host.mutations).toEqual([]);
  });
});
