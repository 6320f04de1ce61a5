import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadPlan } from "../../src/plan/load.js";
import { writeLabPlan } from "../../src/lab/plan-file.js";
import { LAB_NET, labRecipe, minimalRecipe, SOURCE_PACKAGES } from "../../src/lab/recipe.js";
import { dhcpTargetTreeFiles, targetTreeFiles } from "../../src/lab/target-tree.js";
import { vzctlInterfaces } from "../../src/lab/source-tree.js";
import { recipeHash } from "../../src/lab/cache.js";

// The fast half of the lab: what it writes, checked without building anything.
describe("lab files", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("writes a plan the product accepts, with pinned host keys and the container's route to the VM", async () => {
    dir = await mkdtemp(join(tmpdir(), "mudanza-lab-"));
    const planPath = join(dir, "plan.yaml");
    const knownHostsFile = join(dir, "known_hosts");
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    await writeLabPlan({
      planPath,
      knownHostsFile,
      identityFile: "/k/tool_key",
      sourceHostKeys: [key],
      targetHostKeys: [key],
      options: { skipPreUpdate: true },
    });
    const { plan } = await loadPlan(planPath);
    expect(plan.kind).toBe("openvz-to-kvm");
    expect(plan.source).toMatchObject({
      transport: "ssh",
      host: LAB_NET.sourceAddress,
      port: 22,
      identityFile: "/k/tool_key",
      knownHostsFile,
    });
    expect(plan.target).toMatchObject({ host: "127.0.0.1", port: LAB_NET.vmSshPortLoopback });
    if (plan.kind !== "openvz-to-kvm") throw new Error("unreachable");
    expect(plan.options).toMatchObject({
      targetAddressFromSource: LAB_NET.hostAddress,
      targetPortFromSource: LAB_NET.vmSshPortVeth,
      skipPreUpdate: true,
    });
    const knownHosts = await readFile(knownHostsFile, "utf8");
    expect(knownHosts).toContain(`${LAB_NET.sourceAddress} ${key}`);
    expect(knownHosts).toContain(`[127.0.0.1]:${LAB_NET.vmSshPortLoopback} ${key}`);
    expect(knownHosts).toContain(`[${LAB_NET.hostAddress}]:${LAB_NET.vmSshPortVeth} ${key}`);
  });

  it("writes the container's interfaces file in vzctl's venet layout", () => {
    const text = vzctlInterfaces(["198.18.1.2", "198.18.1.3"]);
    expect(text.startsWith("# This configuration file is auto-generated.\n")).toBe(true);
    expect(text).toContain(
      "auto venet0\niface venet0 inet manual\n\tup ifconfig venet0 up\n\tup ifconfig venet0 127.0.0.2\n\tup route add default dev venet0\n",
    );
    expect(text).toContain(
      "auto venet0:0\niface venet0:0 inet static\n\taddress 198.18.1.2\n\tnetmask 255.255.255.255\n",
    );
    expect(text).toContain("auto venet0:1\niface venet0:1 inet static\n\taddress 198.18.1.3\n");
  });

  it("uses only 198.18.0.0/15 addresses and names its cache entry by the recipe", () => {
    const addresses = JSON.stringify(labRecipe.net).match(/\d+\.\d+\.\d+\.\d+/g) ?? [];
    expect(addresses.length).toBeGreaterThan(4);
    for (const a of addresses) expect(a, a).toMatch(/^198\.1[89]\./);
    expect(recipeHash()).toMatch(/^[0-9a-f]{16}$/);
    expect(recipeHash()).toBe(recipeHash());
  });

  it("describes a minimal-template variant: a smaller container, a VM on DHCP, lab addresses only", () => {
    const addresses = JSON.stringify(minimalRecipe.dhcp).match(/\d+\.\d+\.\d+\.\d+/g) ?? [];
    expect(addresses.length).toBeGreaterThan(2);
    for (const a of addresses) expect(a, a).toMatch(/^198\.1[89]\./);
    for (const pkg of ["isc-dhcp-client", "dhcpcd-base", "udev", "kmod", "linux-image-amd64"])
      expect(minimalRecipe.source, pkg).not.toContain(pkg);
    // every package of the variant's container is one the kind container has too: nothing is added
    expect(minimalRecipe.source.filter((p) => !SOURCE_PACKAGES.includes(p))).toEqual([]);
    expect(minimalRecipe.source.length).toBeLessThan(SOURCE_PACKAGES.length);
    expect(minimalRecipe.target).toContain("isc-dhcp-client");
    const interfaces = dhcpTargetTreeFiles().find((f) => f.path === "/etc/network/interfaces")?.content;
    expect(interfaces).toContain("auto ens3\niface ens3 inet dhcp\n");
    // the VM's other files are the kind VM's, so the two VMs differ by their network only
    const others = (files: ReturnType<typeof targetTreeFiles>) =>
      files.filter((f) => !["/etc/network/interfaces", "/etc/hosts"].includes(f.path));
    expect(others(dhcpTargetTreeFiles())).toEqual(others(targetTreeFiles()));
  });
});
