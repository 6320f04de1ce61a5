import { renderChain } from "./render-chain.js";
import { blocker } from "../../engine/finding.js";
import { defineStep, verifyResult } from "../../engine/step.js";
import { cmd } from "../../hosts/quote.js";
import { parseBackingChain } from "../../kvm/qemu-img-info.js";
import { allocatedBytes, inspectDisk, misnamedImageFinding, unusableDiskFindings } from "./inspect-disk.js";
import { statChainImages, unusableChainFindings } from "./raw-content.js";
import { shownImagePath } from "./chain-path.js";
import type { ChainEntry } from "./image-info-document.js";

export interface InfoOptions {
  disk: string;
}

/** `image info`: read-only, its probe is the whole job (facts.chain). */
export const inspectChainStep = defineStep<InfoOptions, null>({
  id: "inspect-chain",
  title: "Read the backing chain and real sizes",
  destructive: false,
  async probe(ctx) {
    const host = ctx.host("local");
    const { disk } = ctx.plan;
    const stat = await host.stat(disk);
    if (!stat) return { satisfied: false, plan: null, findings: [blocker("Disk not found", `${disk} does not exist`)] };
    const info = await host.exec(cmd("qemu-img", "info", "-U", "--backing-chain", "--output=json", disk), {
      signal: ctx.signal,
    });
    if (info.code !== 0) {
      // The top image alone may read fine: then it is its backing chain that is broken, and the fix is known.
      const chainFindings = unusableDiskFindings(await inspectDisk(host, disk, ctx.signal));
      return {
        satisfied: false,
        plan: null,
        findings:
          chainFindings.length > 0
            ? chainFindings
            : [
                blocker(
                  "Cannot read the image",
                  info.stderr.trim() || `qemu-img exited ${info.code}`,
                  `check it is the disk you meant (${cmd("qemu-img", "info", disk)})`,
                ),
              ],
      };
    }
    const chain = parseBackingChain(info.stdout);
    // An empty file or device, or one of stray bytes, opens as "raw", at the top or below it: sparsify and
    // clone block on it, and so does info.
    const unusable = unusableChainFindings(await statChainImages(host, chain, stat, ctx.signal));
    // ...and still says when the name promises another format (a text file named .qcow2)
    if (unusable.length > 0) {
      const misnamedTop = misnamedImageFinding(disk, chain[0]?.format ?? "raw");
      return { satisfied: false, plan: null, findings: misnamedTop ? [...unusable, misnamedTop] : unusable };
    }
    const paths = chain.map((c) => shownImagePath(c.filename));
    const sizes = await allocatedBytes(host, paths, ctx.signal);
    const entries: ChainEntry[] = chain.map((c, i) => ({
      filename: paths[i]!,
      format: c.format,
      virtualSize: c["virtual-size"],
      allocated: sizes[paths[i]!] ?? c["actual-size"] ?? null,
      backingFilename: c["backing-filename"],
    }));
    const misnamed = entries.flatMap((e) => misnamedImageFinding(e.filename, e.format) ?? []);
    // details: the chain in words for every face, --json's step-probed included (stdout is the events there)
    return {
      satisfied: true,
      reason: "read-only",
      plan: null,
      findings: misnamed,
      facts: { chain: entries },
      details: renderChain(entries).split("\n"),
    };
  },
  commands: () => [],
  async run() {},
  async verify() {
    return verifyResult([]);
  },
});
