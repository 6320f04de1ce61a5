import { readFile } from "node:fs/promises";
import { expect } from "vitest";
import type { Lab } from "../../../src/lab/lab.js";
import { LAB_DHCP_NET, LAB_NET, NEWER_KERNEL } from "../../../src/lab/recipe.js";
import type { CliEvent } from "./run-cli.js";

/** Packages a minimal template lacks and a VM needs: none may be on the source, or the variant proves nothing. */
const ABSENT_FROM_SOURCE = [
  "isc-dhcp-client",
  "dhcpcd-base",
  "udev",
  "kmod",
  NEWER_KERNEL.metapackage,
  "linux-image-amd64",
];

/** The variant is as hostile as it claims: no DHCP client, udev, kmod or kernel; MariaDB behind a live socket. */
export async function assertMinimalSource(lab: Lab): Promise<void> {
  const query = `dpkg-query -W -f='\${Package} \${Status}\\n' ${ABSENT_FROM_SOURCE.join(" ")} 2>/dev/null; true`;
  const installed = (await lab.source.run(query))
    .split("\n")
    .filter((l) => l.endsWith(" install ok installed"))
    .map((l) => l.split(" ")[0]);
  expect(installed, "packages a minimal template does not have").toEqual([]);
  expect((await lab.source.run("ls /boot/vmlinuz-* 2>/dev/null | wc -l")).trim()).toBe("0");
  expect((await lab.source.run("systemctl is-enabled mariadb.socket; systemctl is-active mariadb.socket")).trim()).toBe(
    "enabled\nactive",
  );
}

/** The source's databases and the socket that starts them run (after a failed or interrupted run). */
export async function sourceDatabaseStates(lab: Lab): Promise<string> {
  const result = await lab.source.exec("systemctl is-active mariadb.service mariadb.socket");
  return result.stdout.trim();
}

/**
 * After the migration the VM lives on its own: its address came from a DHCP lease granted after the
 * reboot (by dnsmasq, to the client the copy had removed), it resolves a name only dnsmasq knows, and
 * its kernel metapackage is back, so apt offers the kernel update the repository publishes afterwards.
 */
export async function assertVmOnItsOwnNetwork(lab: Lab, events: CliEvent[]): Promise<void> {
  const vm = lab.targetWithSourceKeys;
  const addr = await vm.run("ip -o -4 addr show dev ens3");
  expect(addr).toContain(`${LAB_NET.vmAddress}/`);
  // a lease, not a static address: the kernel counts down its lifetime
  expect(addr).toMatch(/ dynamic /);
  const kernelEnd = events.find((e) => e.type === "step-end" && e.stepId === "kernel-install");
  expect(kernelEnd).toBeDefined();
  const lease = (await readFile(lab.dhcpLeaseFile, "utf8"))
    .split("\n")
    .map((l) => l.split(" "))
    .find((f) => f[1] === LAB_DHCP_NET.vmMac);
  expect(lease?.[2], "dnsmasq's lease for the VM's MAC").toBe(LAB_NET.vmAddress);
  const grantedAt = (Number(lease![0]) - LAB_DHCP_NET.leaseSec) * 1000;
  expect(grantedAt, "the lease was granted (or renewed) after the reboot").toBeGreaterThan(
    Date.parse(String(kernelEnd!.at)) - 2000,
  );

  const hosts = await vm.run("cat /etc/hosts");
  expect(hosts).not.toContain(LAB_DHCP_NET.dnsOnlyName);
  expect(await vm.run(`getent hosts ${LAB_DHCP_NET.dnsOnlyName}`)).toContain(LAB_NET.hostAddress);

  // the kernel update is released now, after the migration: the VM is offered it only through its metapackage
  await lab.publishKernelUpdate();
  const simulate = await vm.run(
    `apt-get update -qq >/dev/null && apt-get install --simulate ${NEWER_KERNEL.metapackage}`,
    { timeoutMs: 300_000 },
  );
  // "Inst NAME [installed] (candidate ...)": the metapackage is installed and its newer version pulls the newer kernel
  expect(simulate).toMatch(
    new RegExp(`^Inst ${NEWER_KERNEL.metapackage} \\[[^\\]]+\\] \\(${NEWER_KERNEL.version} `, "m"),
  );
  expect(simulate).toMatch(new RegExp(`^Inst ${NEWER_KERNEL.image} \\(${NEWER_KERNEL.version} `, "m"));
}
