import { validateCloneOptions } from "../../src/plan/options/image-clone.js";

/** `image clone BASE`'s options as the CLI's defaults make them (one overlay, lab1, not defined in libvirt), changed by `extra`. */
export const cloneOptions = (base: string, extra: Partial<Parameters<typeof validateCloneOptions>[0]> = {}) =>
  validateCloneOptions({
    base,
    count: 1,
    namePattern: "lab{n}",
    start: 1,
    define: false,
    bridge: "br0",
    memoryBytes: 1 << 30,
    vcpus: 1,
    uri: "qemu:///system",
    ...extra,
  });
