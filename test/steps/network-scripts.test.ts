import { describe, expect, it } from "vitest";
import { captureTarget } from "../../src/steps/openvz-to-kvm/capture-target.js";
import { networkFixup } from "../../src/steps/openvz-to-kvm/network-fixup.js";
import { rsyncStep } from "../../src/steps/openvz-to-kvm/rsync-step.js";
import { loadPair, PAIRS } from "../pipelines/openvz-to-kvm/harness.js";
import { simulate } from "../pipelines/openvz-to-kvm/simulate.js";
import { stepContext } from "./context.js";

/**
 * An EL8 container brings its network up with network.service, so it has the network-scripts package,
 * whose scripts live next to the ifcfg files (ifup-eth, network-functions; file names as the package
 * ships them). Those are no network config: the fixup removes the venet config, never the scripts.
 */
const SCRIPTS = [
  "ifup-eth",
  "ifdown-eth",
  "ifup-post",
  "network-functions",
  "network-functions-ipv6",
  "init.ipv6-global",
].map((f) => `/etc/sysconfig/network-scripts/${f}`);

describe("network-fixup on an EL target whose source used network-scripts", () => {
  it("removes ifcfg-venet0*, keeps the package's scripts, restores ifcfg-ens3", async () => {
    const { plan, source, target } = await loadPair(PAIRS.alma.plan, { maxLivePasses: 1 });
    for (const f of SCRIPTS) source.putFile(f, "#!/bin/bash\n# from the network-scripts package\n", { mode: 0o755 });
    simulate(source, target, { family: "rhel", kernel: PAIRS.alma.kernel, passBytes: [0] });
    const { ctx } = stepContext(plan, { source, target });
    await captureTarget.run(ctx, (await captureTarget.probe(ctx)).plan);
    await rsyncStep.run(ctx, (await rsyncStep.probe(ctx)).plan);
    const probe = await networkFixup.probe(ctx);
    expect(probe.details?.join("\n")).not.toMatch(/ifup-eth|network-functions/);
    await networkFixup.run(ctx, probe.plan);
    for (const f of SCRIPTS) expect(target.files.has(f), f).toBe(true);
    expect(target.files.has("/etc/sysconfig/network-scripts/ifcfg-venet0")).toBe(false);
    expect(target.files.has("/etc/sysconfig/network-scripts/ifcfg-ens3")).toBe(true);
    expect((await networkFixup.verify(ctx)).ok).toBe(true);
  });
});
