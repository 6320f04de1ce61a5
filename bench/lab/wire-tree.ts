import { join } from "node:path";
import type { LabImages } from "../../src/lab/build.js";
import { startLoopback } from "../loopback.js";
import { copyOnce, localCompression } from "../wire.js";
import type { BenchRow } from "../types.js";

/**
 * Row 5 on the whole lab tree (the container's root as built, with MariaDB's preallocated files): bytes on
 * the wire with and without the compression the probe chooses, copied over loopback ssh into an empty folder
 * with the pipeline's flags. Bytes on the wire do not depend on the link, so the copy does not go into the
 * TCG VM (which would take minutes); one copy each, the counts do not vary.
 */
export async function measureLabTreeWire(
  images: LabImages,
  scratch: string,
  log: (line: string) => void,
): Promise<BenchRow[]> {
  const loopback = await startLoopback(scratch);
  try {
    const { flags, label } = await localCompression(log);
    const to = join(scratch, "lab-tree");
    const off = await copyOnce(images.sourceTree, to, loopback.ssh, []);
    const on = await copyOnce(images.sourceTree, to, loopback.ssh, flags);
    const MiB = 1024 ** 2;
    log(
      `lab-wire: ${images.sourceTree}: ${on.wireBytes} bytes ${label} in ${(on.ms / 1000).toFixed(1)} s, ${off.wireBytes} uncompressed in ${(off.ms / 1000).toFixed(1)} s`,
    );
    return [
      {
        benchmark: "lab-wire",
        case: `whole lab source tree, ${label}`,
        unit: "MiB",
        value: on.wireBytes / MiB,
        baselineLabel: "uncompressed",
        baseline: off.wireBytes / MiB,
        ratio: on.wireBytes / off.wireBytes,
        runs: 1,
      },
    ];
  } finally {
    await loopback.stop();
  }
}
