import { dirname, resolve } from "node:path";
import type { ImageInfo } from "../../kvm/qemu-img-info.js";

/** qemu's test for a protocol (nbd:, json:{...}): a colon before any slash. Such a name is not a path. */
const PROTOCOL = /^[^/:]*:/;

/**
 * A backing chain member's path as mudanza prints and journals it: resolved from the overlay's folder, as
 * qemu-img resolves a relative backing name, with `sub/..` and `./` folded away (qemu-img shows them as
 * written). Only what is shown: the overlay's header keeps the name it was written with.
 */
export function chainMemberPath(overlay: string, backing: string): string {
  return PROTOCOL.test(backing) ? backing : resolve(dirname(overlay), backing);
}

/**
 * qemu-img's `filename` of a chain member, the same way: for a backing file, qemu-img's filename is already
 * its overlay's folder joined with the backing name, so resolving it folds what qemu-img left as written.
 */
export const shownImagePath = (filename: string): string => (PROTOCOL.test(filename) ? filename : resolve(filename));

/** The backing file an image names, as qemu-img resolves it (relative to the image's folder), normalised. */
export function backingFileOf(info: ImageInfo | undefined): string | undefined {
  if (info?.["full-backing-filename"] !== undefined) return shownImagePath(info["full-backing-filename"]);
  return info?.["backing-filename"] === undefined
    ? undefined
    : chainMemberPath(info.filename, info["backing-filename"]);
}
