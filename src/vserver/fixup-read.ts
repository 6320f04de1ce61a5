import { posix } from "node:path";
import { readOptional } from "../hosts/host.js";
import type { FixupTree } from "./fixups.js";

/** A guest file as the fix-ups planned before this one leave it. */
export const readPlanned = async (tree: FixupTree, rel: string): Promise<string | null> =>
  tree.pending?.get(rel) ?? readOptional(tree.host, posix.join(tree.root, rel));
