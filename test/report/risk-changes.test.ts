import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { dryRunReportSchema, type DryRunReport } from "../../src/report/dry-run-schema.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");

async function riskOf(plan: string): Promise<DryRunReport["risk"]> {
  const state = await mkdtemp(join(tmpdir(), "mudanza-risk-"));
  try {
    const { stdout } = await run(
      process.execPath,
      [join(ROOT, "bin/mudanza.js"), "run", join(ROOT, "fixtures/plans", plan), "--dry-run", "--format", "json"].concat(
        ["--state-dir", state],
      ),
      { env: { ...process.env, CI: "1" } },
    );
    return dryRunReportSchema.parse(JSON.parse(stdout)).risk;
  } finally {
    await rm(state, { recursive: true, force: true });
  }
}

/** Found by a new-user trial: "5 step(s) change things" left out the steps that change a host without a gate. */
describe("the dry-run report counts every step that changes a host, and says which ask first", () => {
  it("openvz-to-kvm: the gated steps, then capture-target, network-fixup, kernel-install and restore-vm-packages", async () => {
    const [asking, unasked, ...rest] = (await riskOf("ovz-kvm-debian-12.yaml")).changes;
    expect(asking).toMatch(/^5 step\(s\) ask at a gate before they change a host: Update and reboot both hosts; /);
    expect(unasked).toMatch(/^4 more change a host without asking: /);
    expect(unasked).toContain("Save the target's network, disks, boot files and host keys: makes the migration key");
    expect(unasked).toContain("Remove venet config and restore the target's network config: replaces");
    expect(unasked).toContain("Reinstall the running kernel's package: installs a package on the target");
    expect(unasked).toContain("Reinstall the VM's packages the copy removed: installs packages on the target");
    expect(rest).toEqual([]);
  });

  it("vserver-to-openvz: the gated steps, then the live copy, the container's config and fix-up, and the guest's boot mark", async () => {
    const [asking, unasked] = (await riskOf("vserver-web1.yaml")).changes;
    expect(asking).toMatch(/^2 step\(s\) ask at a gate before they change a host: /);
    expect(unasked).toMatch(/^4 more change a host without asking: /);
    expect(unasked).toContain(
      "Copy the guest to the node while it runs: copies the running guest into /vz/private/1001 on the node",
    );
    expect(unasked).toContain(
      "Keep the VServer guest from starting at boot: renames the guest's boot mark on the VServer host (mv)",
    );
  });
});

/** Found by a new-user trial: the pre-update's cleanup was in the gate's commands but not among what the run deletes. */
describe("the dry-run report says what the pre-update step deletes", () => {
  it("openvz-to-kvm: the journal's logs beyond 100 MB and the package cache, on the source and the target", async () => {
    const { overwrites } = await riskOf("ovz-kvm-debian-12.yaml");
    expect(overwrites).toContain(
      "Step \"Update and reboot both hosts\" deletes, on the source and the target: the system journal's logs beyond its newest 100 MB and apt's cache of downloaded packages (`journalctl --vacuum-size=100M`, `apt-get clean`).",
    );
  });
});
