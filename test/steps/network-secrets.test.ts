import { describe, expect, it } from "vitest";
import { holdsSecret } from "../../src/steps/network/network-secrets.js";
import { captureTarget, redactFstab } from "../../src/steps/openvz-to-kvm/capture-target.js";
import { networkFixup } from "../../src/steps/openvz-to-kvm/network-fixup.js";
import { rsyncStep } from "../../src/steps/openvz-to-kvm/rsync-step.js";
import { loadPair, PAIRS } from "../pipelines/openvz-to-kvm/harness.js";
import { simulate } from "../pipelines/openvz-to-kvm/simulate.js";
import { stepContext } from "./context.js";

/** Formats from systemd.netdev(5), netplan's YAML reference, nm-settings-ifcfg-rh(5) and NetworkManager-vpnc keyfiles. */
const WG_NETDEV =
  "[NetDev]\nName=wg0\nKind=wireguard\n\n[WireGuard]\nPrivateKey=yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\nListenPort=51820\n\n[WireGuardPeer]\nPublicKey=xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\nPresharedKey=/UwcSPg38hW/D9Y3tcS1FOV0K1wuURMbS0sesJEP5ak=\nAllowedIPs=198.18.99.0/24\n";
const NETPLAN_WG =
  "network:\n  version: 2\n  tunnels:\n    wg0:\n      mode: wireguard\n      key: yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n      addresses: [198.18.99.1/24]\n";
const NETPLAN_WG_KEYS =
  "network:\n  tunnels:\n    wg0:\n      mode: wireguard\n      keys:\n        private: yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n";
const IFCFG_KEYS = "KEY1=s:mysecretwepkey\n";
const IFCFG_KEYS_PASSPHRASE = "KEY_PASSPHRASE1=correct horse battery staple\n";
const NM_VPNC =
  "[connection]\nid=office\ntype=vpn\n\n[vpn]\nservice-type=org.freedesktop.NetworkManager.vpnc\nIPSec gateway=198.18.5.5\n\n[vpn-secrets]\nIPSec secret=groupsecret\nXauth password=userpassword\n";
const IFCFG_PLAIN =
  "TYPE=Ethernet\nBOOTPROTO=none\nNAME=ens3\nDEVICE=ens3\nONBOOT=yes\nIPADDR=198.18.20.10\nPREFIX=24\nGATEWAY=198.18.20.1\nDNS1=198.18.20.1\n";

describe("network files holding a secret stay out of the journal", () => {
  it.each([
    ["/etc/systemd/network/wg0.netdev", WG_NETDEV],
    ["/etc/netplan/60-wg.yaml", NETPLAN_WG],
    ["/etc/netplan/61-wg.yaml", NETPLAN_WG_KEYS],
    ["/etc/sysconfig/network-scripts/keys-wlan0", IFCFG_KEYS],
    ["/etc/sysconfig/network-scripts/keys-wlan1", IFCFG_KEYS_PASSPHRASE],
    ["/etc/NetworkManager/system-connections/office.nmconnection", NM_VPNC],
  ])("%s is recognised as holding a secret", (path, content) => {
    expect(holdsSecret({ path, content })).toBe(true);
  });

  it("a plain static ifcfg is not", () => {
    expect(holdsSecret({ path: "/etc/sysconfig/network-scripts/ifcfg-ens3", content: IFCFG_PLAIN })).toBe(false);
  });

  it("capture-target keeps a WireGuard netdev's private key on the target, not in the journal", async () => {
    const { plan, source, target } = await loadPair(PAIRS.alma.plan);
    simulate(source, target, { family: "rhel", kernel: PAIRS.alma.kernel });
    target.putFile("/etc/systemd/network/wg0.netdev", WG_NETDEV, { mode: 0o640 });
    target.on(
      /^mkdir -p -m 700 \/root\/mudanza-backup\/captured\/etc\/systemd\/network && cp -a /,
      (_c, h) => {
        h.putFile("/root/mudanza-backup/captured/etc/systemd/network/wg0.netdev", WG_NETDEV, { mode: 0o640 });
        return {};
      },
      { mutates: true },
    );
    const { ctx, facts } = stepContext(plan, { source, target });
    await captureTarget.run(ctx, (await captureTarget.probe(ctx)).plan);
    const journaled = JSON.stringify(facts);
    expect(journaled).toContain("/etc/systemd/network/wg0.netdev");
    expect(journaled).not.toContain("yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=");
    expect(journaled).not.toContain("/UwcSPg38hW/D9Y3tcS1FOV0K1wuURMbS0sesJEP5ak=");
  });
});

describe("the target's fstab in the journal", () => {
  it("keeps the mounts but not a CIFS password (mount.cifs(8) options)", () => {
    const fstab =
      "UUID=3f2e1d0c-9b8a-4765-8321-0fedcba98765 / ext4 errors=remount-ro 0 1\n//198.18.30.5/backup /mnt/backup cifs username=backup,password=S3cr3t!x,uid=0 0 0\n//198.18.30.5/old /mnt/old cifs user=b,pass=hunter2 0 0\n";
    const kept = redactFstab(fstab)!;
    expect(kept).not.toMatch(/S3cr3t|hunter2/);
    expect(kept).toContain("//198.18.30.5/backup /mnt/backup cifs username=backup,password=(not recorded),uid=0 0 0");
    expect(kept).toContain("UUID=3f2e1d0c-9b8a-4765-8321-0fedcba98765 / ext4 errors=remount-ro 0 1");
  });
});

describe("network-fixup restores a secret-holding file from its copy on the target", () => {
  it("with cp -a (its own mode and owner), never rewritten world-readable", async () => {
    const { plan, source, target } = await loadPair(PAIRS.alma.plan, { maxLivePasses: 1 });
    simulate(source, target, { family: "rhel", kernel: PAIRS.alma.kernel, passBytes: [0] });
    const kept = "/root/mudanza-backup/captured/etc/systemd/network/wg0.netdev";
    target.putFile("/etc/systemd/network/wg0.netdev", WG_NETDEV, { mode: 0o640 });
    target.on(
      /^mkdir -p -m 700 \/root\/mudanza-backup\/captured\/etc\/systemd\/network && cp -a /,
      (_c, h) => (h.putFile(kept, WG_NETDEV, { mode: 0o640 }), {}),
      { mutates: true },
    );
    target.on(
      `cp -a ${kept} /etc/systemd/network/wg0.netdev`,
      (_c, h) => (h.putFile("/etc/systemd/network/wg0.netdev", WG_NETDEV, { mode: 0o640 }), {}),
      { mutates: true },
    );
    const { ctx } = stepContext(plan, { source, target });
    await captureTarget.run(ctx, (await captureTarget.probe(ctx)).plan);
    await rsyncStep.run(ctx, (await rsyncStep.probe(ctx)).plan);
    // every pass leaves the VM's network files alone; one lost anyway (deleted by hand before a resume) comes back
    expect(target.files.get("/etc/systemd/network/wg0.netdev")?.mode).toBe(0o640);
    target.files.delete("/etc/systemd/network/wg0.netdev");
    await networkFixup.run(ctx, (await networkFixup.probe(ctx)).plan);
    expect(
      target.log.some((l) => l.kind === "exec" && l.command === `cp -a ${kept} /etc/systemd/network/wg0.netdev`),
    ).toBe(true);
    expect(target.log.some((l) => l.kind === "write" && l.path === "/etc/systemd/network/wg0.netdev")).toBe(false);
    expect(target.files.get("/etc/systemd/network/wg0.netdev")?.mode).toBe(0o640);
    expect((await networkFixup.verify(ctx)).ok).toBe(true);
  });
});
