import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";
import { cmd } from "../../src/hosts/quote.js";
import { buildHostDoctor } from "../../src/pipelines/host-doctor/pipeline.js";
import { runLocal } from "../image/run-local.js";

// Real virsh 9.0.0 stderr (fixtures/kvm/virsh-errors/README.md): no daemon, an unknown URI, ssh refused.
async function doctorWhen(uri: string, stderrFile: string, daemon?: string) {
  const host = await loadScriptedHost("fixtures/kvm/hosts/kvm-host", "local");
  const stderr = await readFile(`fixtures/kvm/virsh-errors/${stderrFile}`, "utf8");
  host.on(cmd("virsh", "-c", uri, "list", "--all", "--name"), { code: 1, stderr });
  if (daemon) host.putFile(daemon, "", { mode: 0o755 });
  const { outcome } = await runLocal(
    buildHostDoctor(),
    { uri, bridge: null, enableKsm: false, openvz: null },
    "dry-run",
    { host },
  );
  const finding = outcome.findings.find((f) => f.title === "libvirt not available");
  expect(finding).toBeDefined();
  return finding!;
}

describe("host doctor: libvirt's error and its fix (new-user trial 10, finding 6)", () => {
  it("keeps virsh's cause, not only 'failed to connect to the hypervisor'", async () => {
    const f = await doctorWhen("qemu:///system", "no-daemon.stderr");
    expect(f.summary).toBe(
      "libvirt at qemu:///system did not answer: failed to connect to the hypervisor: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory",
    );
  });

  it("no socket and no daemon installed: install the daemon (virsh is there already)", async () => {
    const f = await doctorWhen("qemu:///system", "no-daemon.stderr");
    expect(f.remediation).toBe(
      "virsh is installed but libvirt's daemon is not: apt-get install libvirt-daemon-system; systemctl enable --now libvirtd",
    );
  });

  it("no socket with libvirtd installed: start it, do not install it", async () => {
    const f = await doctorWhen("qemu:///system", "no-daemon.stderr", "/usr/sbin/libvirtd");
    expect(f.remediation).toMatch(/^libvirt's daemon is installed but not running: systemctl enable --now libvirtd/);
    expect(f.remediation).not.toContain("apt-get");
  });

  it("a --connect URI virsh has no driver for: fix the URI", async () => {
    const f = await doctorWhen("bogus", "unknown-uri.stderr");
    expect(f.summary).toContain("no connection driver available for URI 'bogus'");
    expect(f.remediation).toMatch(/^--connect bogus is not a libvirt URI .*--connect qemu:\/\/\/system/);
    expect(f.remediation).not.toContain("apt-get");
  });

  it("a remote URI that did not answer: check that host, or this host's libvirt with qemu:///system", async () => {
    const f = await doctorWhen("qemu+ssh://127.0.0.1:1/system", "ssh-refused.stderr");
    expect(f.summary).toContain("ssh: connect to host 127.0.0.1 port 1: Connection refused");
    expect(f.remediation).toBe(
      "check that 127.0.0.1:1 answers (virsh -c qemu+ssh://127.0.0.1:1/system list --all) and runs libvirtd; to check this host's own libvirt, pass --connect qemu:///system",
    );
  });

  it("virsh missing: install the clients and the daemon", async () => {
    const host = await loadScriptedHost("fixtures/kvm/hosts/kvm-host", "local");
    host.on("command -v virsh", { code: 1 });
    const { outcome } = await runLocal(
      buildHostDoctor(),
      { uri: "qemu:///system", bridge: null, enableKsm: false, openvz: null },
      "dry-run",
      { host },
    );
    const f = outcome.findings.find((x) => x.title === "libvirt not available");
    expect(f?.summary).toBe("virsh is not installed");
    expect(f?.remediation).toMatch(
      /^apt-get install libvirt-clients \(virsh\), and apt-get install libvirt-daemon-system/,
    );
  });
});
