import { z } from "zod";

/** `qemu-img info --output=json` (one object) or with --backing-chain (an array, top image first). */
const imageInfoSchema = z.object({
  filename: z.string(),
  format: z.string(),
  "virtual-size": z.number(),
  "actual-size": z.number().optional(),
  "cluster-size": z.number().optional(),
  "backing-filename": z.string().optional(),
  "full-backing-filename": z.string().optional(),
  "backing-filename-format": z.string().optional(),
  "dirty-flag": z.boolean().optional(),
  "format-specific": z.object({ type: z.string(), data: z.record(z.string(), z.unknown()).optional() }).optional(),
});
export type ImageInfo = z.infer<typeof imageInfoSchema>;

export function parseImageInfo(json: string): ImageInfo {
  return imageInfoSchema.parse(JSON.parse(json));
}

export function parseBackingChain(json: string): ImageInfo[] {
  const parsed: unknown = JSON.parse(json);
  return z.array(imageInfoSchema).parse(Array.isArray(parsed) ? parsed : [parsed]);
}

/** QEMU's message when another process (a running VM, qemu-nbd, qemu-io) holds the image's write lock. */
export function isLockConflict(stderr: string): boolean {
  return /Failed to get (shared )?"write" lock|Is another process using the image/i.test(stderr);
}

/** `qemu-img check --output=json`: corruptions and leaks. */
const checkSchema = z.object({
  "check-errors": z.number(),
  corruptions: z.number().optional(),
  leaks: z.number().optional(),
  "image-end-offset": z.number().optional(),
  "total-clusters": z.number().optional(),
  "allocated-clusters": z.number().optional(),
  "compressed-clusters": z.number().optional(),
  filename: z.string(),
  format: z.string(),
});
export type ImageCheck = z.infer<typeof checkSchema>;

export function parseImageCheck(json: string): ImageCheck {
  return checkSchema.parse(JSON.parse(json));
}

export const imageCheckClean = (c: ImageCheck): boolean => c["check-errors"] === 0 && (c.corruptions ?? 0) === 0;
