import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { LibvirtBackend } from "../../src/checkpoints/libvirt.js";
import { ProxmoxBackend } from "../../src/checkpoints/proxmox.js";
import { snapshotUuid, VzctlBackend } from "../../src/checkpoints/vzctl.js";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";

const fixture = (name: string) => loadScriptedHost(`fixtures/hosts/${name}`, "target-checkpoints");
const out = (path: string) => readFile(`fixtures/hosts/${path}`, "utf8");

describe("checkpoints through libvirt (virsh on a KVM host)", () => {
  it("a qcow2 domain: room from df, cost from its RAM, no checkpoint yet", async () => {
    const probe = await new LibvirtBackend(await fixture("libvirt-checkpoints"), "web1").probe();
    expect(probe.refusal).toBeUndefined();
    expect(probe.freeBytes).toBe(81161936896);
    expect(probe.cost.bytes).toBe(4194304 * 1024);
    expect(probe.cost.how).toMatch(/RAM.*virsh dominfo/);
    expect(probe.existing).toEqual([]);
  });

  it("a domain with a raw disk is refused, with the way out", async () => {
    const probe = await new LibvirtBackend(await fixture("libvirt-checkpoints"), "legacy").probe();
    expect(probe.refusal?.why).toMatch(/hda \(\/var\/lib\/libvirt\/images\/legacy\.img\) is raw.*qcow2/);
    expect(probe.refusal?.instead).toMatch(/qemu-img convert -O qcow2/);
  });

  it("creates with the command the gate shows, then lists the checkpoint", async () => {
    const host = await fixture("libvirt-checkpoints");
    const backend = new LibvirtBackend(host, "web1");
    await backend.create("mz-lab-before-copy");
    expect(host.mutations.map((m) => (m.kind === "exec" ? m.command : ""))).toEqual(
      backend.createCommands("mz-lab-before-copy").map((c) => c.command),
    );
    host.on("virsh -c qemu:///system snapshot-list web1", {
      stdout: await out("libvirt-checkpoints/out/snapshot-list-web1-one.txt"),
    });
    expect(await backend.list()).toEqual([{ name: "mz-lab-before-copy", takenAt: "2026-12-01T18:47:56.000Z" }]);
  });

  it("quotes what the plan gave (a domain name with a space stays one word)", () => {
    const backend = new LibvirtBackend({ role: "target-checkpoints", address: "x" } as never, "web 1");
    expect(backend.revertCommands("mz-a-before-copy")[0]!.command).toBe(
      "virsh -c qemu:///system snapshot-revert 'web 1' mz-a-before-copy --running --force",
    );
  });
});

describe("checkpoints through Proxmox (qm, pct)", () => {
  it("a VM on thin LVM: room from pvesm status, cost its RAM (vmstate)", async () => {
    const probe = await new ProxmoxBackend(await fixture("proxmox-node"), "qm", 101).probe();
    expect(probe.refusal).toBeUndefined();
    expect(probe.freeBytes).toBe(618659840 * 1024);
    expect(probe.cost.bytes).toBe(2048 * 1024 ** 2);
    expect(probe.existing).toEqual([]);
  });

  it("a VM whose disk is on a storage without snapshots (thick LVM) is refused", async () => {
    const probe = await new ProxmoxBackend(await fixture("proxmox-node"), "qm", 102).probe();
    expect(probe.refusal?.why).toMatch(/scsi0 is on san-lvm \(type lvm\), which cannot snapshot/);
    expect(probe.refusal?.instead).toMatch(/qm disk move.*vzdump 102/);
  });

  it("a container: no RAM in the cost; create runs pct snapshot as shown", async () => {
    const host = await fixture("proxmox-node");
    const backend = new ProxmoxBackend(host, "pct", 201);
    const probe = await backend.probe();
    expect(probe.refusal).toBeUndefined();
    expect(probe.cost.bytes).toBe(0);
    await backend.create("mz-lab-before-update");
    expect(host.mutations.map((m) => (m.kind === "exec" ? m.command : ""))).toEqual([
      "pct snapshot 201 mz-lab-before-update --description 'checkpoint taken by mudanza'",
    ]);
  });

  it("reads the snapshot tree qm listsnapshot prints, leaving out 'current'", async () => {
    const host = await fixture("proxmox-node");
    host.on("qm listsnapshot 101", { stdout: await out("proxmox-node/out/listsnapshot-one.txt") });
    expect(await new ProxmoxBackend(host, "qm", 101).list()).toEqual([
      { name: "mz-lab-before-copy", takenAt: "2026-12-01 18:44:39" },
    ]);
  });
});

describe("checkpoints through vzctl (an OpenVZ node)", () => {
  it("a ploop container: room under its private area", async () => {
    const probe = await new VzctlBackend(await fixture("openvz7-node"), "101").probe();
    expect(probe.refusal).toBeUndefined();
    expect(probe.freeBytes).toBe(81161936896);
  });

  it("an OpenVZ 6 simfs container is refused, with the way out", async () => {
    const probe = await new VzctlBackend(await fixture("openvz7-node"), "102").probe();
    expect(probe.refusal?.why).toMatch(/simfs.*ploop containers only/);
    expect(probe.refusal?.instead).toMatch(/vzdump --suspend 102/);
  });

  it("names the snapshot by a UUID derived from the checkpoint's name, found again by name", async () => {
    const host = await fixture("openvz7-node");
    const backend = new VzctlBackend(host, "101");
    expect(backend.createCommands("mz-lab-before-update")[0]!.command).toContain(
      `--id '${snapshotUuid("mz-lab-before-update")}'`,
    );
    host.on("vzctl snapshot-list 101 -H -o uuid,date,name", {
      stdout: await out("openvz7-node/out/snapshot-list-101-one.txt"),
    });
    expect(await backend.list()).toEqual([{ name: "mz-lab-before-update", takenAt: "2026-12-01 18:44:39" }]);
  });
});
