import { z } from "zod";
import { hostNameSchema } from "../../plan/fields.js";

/** Plan options of an OpenVZ → KVM migration. */
export const openvzToKvmOptionsSchema = z
  .object({
    /** Skip step 1 (update and reboot both hosts) when the admin already did it. */
    skipPreUpdate: z.boolean().default(false),
    /** Cutover: the source's databases stay stopped after the final pass. */
    cutover: z.boolean().default(false),
    /** Database services beyond the detected MySQL/MariaDB/PostgreSQL ones. */
    databases: z.array(z.string().min(1)).default([]),
    /** Services that must be active on the target after the reboot. */
    services: z.array(z.string().min(1)).default([]),
    /** Extra rsync excludes (absolute paths) with the reason for each. */
    extraExcludes: z.array(z.object({ path: z.string().startsWith("/"), reason: z.string().min(1) })).default([]),
    /** Live sync passes before the freeze, at most. */
    maxLivePasses: z.number().int().min(1).max(10).default(4),
    rebootTimeoutSec: z.number().int().positive().default(900),
    /** Address the source uses to reach the target for rsync (defaults to the target's host). */
    targetAddressFromSource: hostNameSchema.optional(),
    targetPortFromSource: z.number().int().min(1).max(65535).optional(),
  })
  .strict();

export type OpenvzToKvmOptions = z.infer<typeof openvzToKvmOptionsSchema>;
