import type { BootLoaderLayout } from "../../distro/index.js";
import { cmd } from "../../hosts/quote.js";

export const listEntriesCommand = (dir: string): string => cmd("ls", "-1A", dir);

/** What the boot loader knows of a kernel: the place that must name it, whether it does, and the fix. */
export interface BootLoaderState {
  place: string;
  namesKernel: boolean;
  regenerate: string;
}

/** A BLS entry is "<machine-id>-<kernel release>.conf"; a grub.cfg names "vmlinuz-<release>" on its linux lines. */
export function bootLoaderState(
  layout: BootLoaderLayout,
  kernelRelease: string,
  found: { blsEntries: string[] | null; grubConfig: string | null },
): BootLoaderState | null {
  if (layout.blsEntriesDir && layout.blsAdd && found.blsEntries !== null) {
    return {
      place: `${layout.blsEntriesDir}/`,
      namesKernel: found.blsEntries.some((e) => e === `${kernelRelease}.conf` || e.endsWith(`-${kernelRelease}.conf`)),
      regenerate: layout.blsAdd(kernelRelease),
    };
  }
  if (found.grubConfig === null) return null;
  return {
    place: layout.grubConfig,
    namesKernel: found.grubConfig.includes(`vmlinuz-${kernelRelease}`),
    regenerate: layout.regenerateGrub,
  };
}
