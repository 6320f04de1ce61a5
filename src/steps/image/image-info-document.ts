import { z } from "zod";
import { documentJsonSchema } from "../../report/document-json-schema.js";

/** Raised when a field of `image info --format json` changes meaning or goes away (adding one does not). */
export const IMAGE_INFO_VERSION = 1;

/** One file of a disk's backing chain: what `image info` prints per line. */
export const chainEntrySchema = z.object({
  filename: z.string().describe("its absolute path, sub/.. and ./ folded away (a symbolic link keeps its name)"),
  format: z.string().describe("as qemu-img reads it: qcow2, raw…"),
  virtualSize: z.number().describe("bytes, the size its guest sees"),
  allocated: z.number().nullable().describe("bytes it takes on the host (du -B1); null when unknown"),
  backingFilename: z
    .string()
    .optional()
    .describe("its backing file as its header names it (relative names as written); absent at the chain's end"),
});
export type ChainEntry = z.infer<typeof chainEntrySchema>;

/** `mudanza image info --format json`: the disk's backing chain. */
export const imageInfoSchema = z.object({
  version: z.literal(IMAGE_INFO_VERSION).describe("raised when a field changes meaning or goes away"),
  chain: z.array(chainEntrySchema).describe("the disk first, then each backing file down the chain"),
});
export type ImageInfoDocument = z.infer<typeof imageInfoSchema>;

/**
 * The document from the chain the inspect-chain step's probe returned in its facts, read back against its
 * declaration; null when the probe returned none (it blocked: its findings say why).
 */
export function imageInfoDocument(chainFact: unknown): ImageInfoDocument | null {
  const chain = imageInfoSchema.shape.chain.safeParse(chainFact);
  return chain.success ? { version: IMAGE_INFO_VERSION, chain: chain.data } : null;
}

/** The JSON Schema of `image info --format json`, as `mudanza schema image-info` prints it. */
export function imageInfoJsonSchema(): Record<string, unknown> {
  return documentJsonSchema(imageInfoSchema, "mudanza image info (image info --format json)");
}
