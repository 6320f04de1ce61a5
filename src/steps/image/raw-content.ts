import type { FileStat, Host } from "../../hosts/host.js";
import { resolvePath } from "../../hosts/resolve-path.js";
import { blocker, type Finding } from "../../engine/finding.js";
import { cmd } from "../../hosts/quote.js";
import { parseImageInfo, type ImageInfo } from "../../kvm/qemu-img-info.js";
import { shownImagePath } from "./chain-path.js";

/** One image of a backing chain: qemu-img's reading of it, and the host's stat of what it is (links followed). */
export interface ChainImage {
  path: string;
  format: string;
  virtualSize: number;
  /** Undefined for a name that is no path (nbd:) or a stat that found nothing. */
  fileType?: FileStat["type"];
  fileSize?: number;
  /** Its backing file's name as its header holds it. */
  backingFilename?: string;
  /**
   * What qemu-img reads it as by itself (format probed), asked only of a backing file the chain reads as a
   * raw file that holds no disk: the overlay above it may name the wrong backing format.
   */
  probedFormat?: string;
}

/** A disk is a whole number of 512-byte sectors: what qemu-img calls raw is any file it does not recognise. */
const SECTOR = 512;

/**
 * The host's stat of every image of a chain (top first), symlinks followed: a base in a pool is often a link.
 * `top` is the top image's lstat the caller already has, so it is not asked twice.
 */
export async function statChainImages(
  host: Host,
  chain: ImageInfo[],
  top?: FileStat,
  signal?: AbortSignal,
): Promise<ChainImage[]> {
  return Promise.all(
    chain.map(async (image, i) => {
      const path = shownImagePath(image.filename);
      const backing = image["backing-filename"];
      const read = {
        path,
        format: image.format,
        virtualSize: image["virtual-size"],
        ...(backing !== undefined && { backingFilename: backing }),
      };
      if (!path.startsWith("/")) return read;
      const lstat = i === 0 && top ? top : await host.stat(path);
      const stat = lstat?.type === "symlink" ? await host.stat(await resolvePath(host, path)) : lstat;
      const stated: ChainImage = stat ? { ...read, fileType: stat.type, fileSize: stat.size } : read;
      if (i === 0 || noDiskSize(stated) === undefined) return stated;
      const probedFormat = await formatByItself(host, path, signal);
      return probedFormat ? { ...stated, probedFormat } : stated;
    }),
  );
}

/**
 * `qemu-img info` of the file alone, its format probed (no -f): what it is whatever the overlay above says.
 * Probing a raw file is unsafe only for a guest's writes to it (qemu's warning); this is a read-only look,
 * for a diagnosis, and -U leaves a VM's locks alone.
 */
async function formatByItself(host: Host, path: string, signal?: AbortSignal): Promise<string | undefined> {
  const res = await host.exec(cmd("qemu-img", "info", "-U", "--output=json", path), { signal, timeoutMs: 60_000 });
  if (res.code !== 0) return undefined;
  try {
    return parseImageInfo(res.stdout).format;
  } catch {
    return undefined;
  }
}

/** The size of a "raw" image that holds no disk (0 bytes, or not whole sectors); undefined for any other. */
function noDiskSize(image: ChainImage): number | undefined {
  if (image.format !== "raw") return undefined;
  const device = image.fileType === "other";
  const size = image.fileType === "file" ? image.fileSize : device ? image.virtualSize : undefined;
  return size === undefined || (size !== 0 && size % SECTOR === 0) ? undefined : size;
}

/**
 * A "raw" image that holds no disk: an empty file or device, or a file that is not whole sectors (a text
 * file, a truncated copy), anywhere in the chain. A block device's lstat size is 0 whatever it holds, so its
 * size is qemu-img's virtual size (a raw device's exact size). Found by new-user trials: a 0-byte loop
 * device and a text file below an overlay were shown as disks.
 */
export function unusableChainFindings(images: ChainImage[]): Finding[] {
  const top = images[0]?.path;
  return images.flatMap((image, i) => {
    const above = images[i - 1];
    const finding =
      top === undefined
        ? undefined
        : above && image.probedFormat !== undefined && image.probedFormat !== image.format
          ? wrongBackingFormatFinding(image, image.probedFormat, above, top)
          : unusableRawFinding(image, i === 0 ? undefined : top);
    return finding ? [finding] : [];
  });
}

/**
 * The overlay's header names the wrong format for its backing file (`-F raw` on a qcow2 base): the base is
 * fine, the overlay's header is what to fix (found by new-user trial 8: the base was called "not a disk
 * image", to be restored from a backup).
 */
function wrongBackingFormatFinding(image: ChainImage, probed: string, overlay: ChainImage, top: string): Finding {
  const inChain = overlay.path === top ? "" : ` (in the backing chain of ${top})`;
  return blocker(
    "The overlay names the wrong backing format",
    `${overlay.path}${inChain} says its backing file ${image.path} is ${image.format}, but qemu-img reads ${image.path} by itself as ${probed}: read as ${image.format}, it is no disk`,
    `if ${image.path} is the image ${overlay.path} was made on, correct the format its header names: ${cmd("qemu-img", "rebase", "-u", "-F", probed, "-b", overlay.backingFilename ?? image.path, overlay.path)}`,
  );
}

function unusableRawFinding(image: ChainImage, overlay: string | undefined): Finding | undefined {
  const size = noDiskSize(image);
  if (size === undefined) return undefined;
  const device = image.fileType === "other";
  const named = overlay === undefined ? image.path : `${image.path}, in the backing chain of ${overlay},`;
  const check =
    overlay === undefined
      ? `check it is the disk you meant (${cmd("qemu-img", "info", image.path)}); restore it from a backup if the copy went wrong`
      : `check ${overlay} is backed by the disks you meant (${cmd("qemu-img", "info", "--backing-chain", overlay)}); restore ${image.path} from a backup if the copy went wrong`;
  if (size === 0)
    return device
      ? blocker(
          "The device is empty",
          `${named} is a device of 0 bytes (a loop device with no file attached, or a drive without a medium): there is no disk in it`,
          check,
        )
      : blocker("The file is empty", `${named} is 0 bytes: there is no disk in it`, check);
  return blocker(
    "Not a disk image",
    `${named} is ${size} bytes, not a whole number of 512-byte sectors: qemu-img does not recognise it as an image (it calls such a file raw), and no disk is that size`,
    check,
  );
}
