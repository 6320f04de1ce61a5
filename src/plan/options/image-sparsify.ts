import { basename, dirname, extname, join, resolve } from "node:path";
import { BadInputError } from "../../errors.js";

export interface SparsifyOptions {
  /** Absolute path of the disk to shrink. */
  disk: string;
  /** Where the sparsified copy goes (absolute); it replaces the disk only with --replace. */
  out: string;
  replace: boolean;
  /** Temporary overlay folder for virt-sparsify; null = $TMPDIR or /tmp. */
  tmpdir: string | null;
  /** libvirt URI checked for domains that use the disk. */
  uri: string;
}

export function validateSparsifyOptions(
  input: { disk: string; out?: string; replace?: boolean; tmpdir?: string; uri: string },
  env = process.env,
): SparsifyOptions {
  const disk = resolve(input.disk);
  // The copy is always qcow2 (--compress needs it), so its default name says so.
  const out = resolve(input.out ?? join(dirname(disk), `${basename(disk, extname(disk))}.sparse.qcow2`));
  if (out === disk)
    throw new BadInputError(
      "--out must differ from the disk: the copy is checked before anything replaces the original (use --replace for that)",
    );
  return {
    disk,
    out,
    replace: Boolean(input.replace),
    tmpdir: input.tmpdir ? resolve(input.tmpdir) : env.TMPDIR ? resolve(env.TMPDIR) : null,
    uri: input.uri,
  };
}

export const effectiveTmpdir = (o: SparsifyOptions): string => o.tmpdir ?? "/tmp";
