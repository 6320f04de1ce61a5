import { basename, dirname, join, relative, resolve } from "node:path";
import { BadInputError, nameForTerminal } from "../../errors.js";
import { checkBridgeName } from "./bridge-name.js";

export interface CloneOptions {
  /** Absolute path of the base image. */
  base: string;
  count: number;
  /** Name pattern with {n}: "lab{n}" → lab1, lab2, ... (files lab1.qcow2, ...); "lab{n}.qcow2" names the same clones. */
  namePattern: string;
  start: number;
  /** Where the overlays go (absolute); defaults to the base's folder. */
  outDir: string;
  define: boolean;
  bridge: string;
  memoryBytes: number;
  vcpus: number;
  /** libvirt connection URI (virsh -c). */
  uri: string;
}

export interface CloneTarget {
  name: string;
  path: string;
  /** The backing path written into the overlay: relative to the overlay's folder, so the folder can move. */
  backingRef: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The overlays' extension, added here only: a pattern that already ends in it gets no second one. */
const EXTENSION = ".qcow2";

export function cloneTargets(o: CloneOptions): CloneTarget[] {
  const pattern = o.namePattern.endsWith(EXTENSION) ? o.namePattern.slice(0, -EXTENSION.length) : o.namePattern;
  return Array.from({ length: o.count }, (_, i) => {
    const name = pattern.replaceAll("{n}", String(o.start + i));
    const path = join(o.outDir, `${name}${EXTENSION}`);
    return { name, path, backingRef: relative(dirname(path), o.base) };
  });
}

/** Checks the flags that need no host: a clear error for each bad input. */
export function validateCloneOptions(
  input: Omit<CloneOptions, "base" | "outDir"> & { base: string; outDir?: string },
): CloneOptions {
  if (!Number.isInteger(input.count) || input.count < 1 || input.count > 1000)
    throw new BadInputError(`--count must be a whole number from 1 to 1000 (got ${input.count})`);
  if (!Number.isInteger(input.start) || input.start < 0)
    throw new BadInputError(`--start must be a whole number ≥ 0 (got ${input.start})`);
  if (input.count > 1 && !input.namePattern.includes("{n}"))
    throw new BadInputError(
      `--name "${nameForTerminal(input.namePattern)}" needs {n} (e.g. 'lab{n}') to give ${input.count} clones different names`,
    );
  if (!Number.isInteger(input.vcpus) || input.vcpus < 1)
    throw new BadInputError(`--vcpus must be a whole number ≥ 1 (got ${input.vcpus})`);
  checkBridgeName(input.bridge);
  const base = resolve(input.base);
  const options: CloneOptions = { ...input, base, outDir: resolve(input.outDir ?? dirname(base)) };
  const targets = cloneTargets(options);
  for (const t of targets) {
    if (!NAME.test(t.name))
      throw new BadInputError(
        `clone name "${nameForTerminal(t.name)}" (from --name ${nameForTerminal(input.namePattern)}) may only hold letters, digits, dot, underscore and dash, and must start with a letter or digit`,
      );
    if (t.path === base) throw new BadInputError(`clone ${t.name} would overwrite the base ${basename(base)}`);
  }
  return options;
}
