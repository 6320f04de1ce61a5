import { describe, expect, it } from "vitest";
import { captureTarget } from "../../../src/steps/openvz-to-kvm/capture-target.js";
import { networkFixup } from "../../../src/steps/openvz-to-kvm/network-fixup.js";
import { rsyncStep } from "../../../src/steps/openvz-to-kvm/rsync-step.js";
import { loadPair, PAIRS } from "../../pipelines/openvz-to-kvm/harness.js";
import { simulate } from "../../pipelines/openvz-to-kvm/simulate.js";
import { stepContext } from "../context.js";

/**
 * Between the copy and network-fixup the VM may be restarted (a crash, an admin, its host): it must still
 * come up on its own network, or the resumed run cannot reach it. Every pass leaves the VM's network files
 * alone (network-fixup restores them anyway); the container's venet config elsewhere is still removed.
 */
const CASES = [
  { pair: PAIRS.debian, own: "/etc/network/interfaces", venet: "venet0" },
  {
    pair: PAIRS.alma,
    own: "/etc/sysconfig/network-scripts/ifcfg-ens3",
    venet: "/etc/sysconfig/network-scripts/ifcfg-venet0",
  },
] as const;

describe("the VM's network config through the copy", () => {
  it.each(CASES)(
    "$own: the VM's own after every pass, the container's venet config gone after network-fixup",
    async (c) => {
      const { plan, source, target } = await loadPair(c.pair.plan, { maxLivePasses: 1 });
      const vmOwn = target.files.get(c.own);
      expect(vmOwn, `the fixture's VM has ${c.own}`).toBeDefined();
      simulate(source, target, { family: c.pair.family, kernel: c.pair.kernel, passBytes: [0] });
      const { ctx } = stepContext(plan, { source, target });

      // the dry run (nothing captured yet) already shows the VM's files among the excludes, from the target itself
      const dryRunProbe = await rsyncStep.probe(ctx);
      const shown = dryRunProbe.commands?.map((command) => command.command).join("\n") ?? "";
      expect(shown).toContain(`--exclude=${c.own}`);

      await captureTarget.run(ctx, (await captureTarget.probe(ctx)).plan);
      await rsyncStep.run(ctx, (await rsyncStep.probe(ctx)).plan);
      expect(target.files.get(c.own)?.content, "right after the copy, before network-fixup").toBe(vmOwn!.content);

      await networkFixup.run(ctx, (await networkFixup.probe(ctx)).plan);
      expect(target.files.get(c.own)?.content).toBe(vmOwn!.content);
      const venetLeft = [...target.files].filter(
        ([path, file]) => path.includes(c.venet) || (file.type === "file" && file.content.includes("venet0")),
      );
      expect(
        venetLeft.filter(
          ([path]) => path.startsWith("/etc/network") || path.startsWith("/etc/sysconfig/network-scripts"),
        ),
      ).toEqual([]);
      expect((await networkFixup.verify(ctx)).ok).toBe(true);
    },
  );
});
