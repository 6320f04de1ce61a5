import { z } from "zod";
import { hostNameSchema } from "../fields.js";

/**
 * Plan options of an OpenVZ → KVM migration. Each `.describe()` text is the one documentation of its
 * option: `mudanza plan openvz-to-kvm` writes it as a comment, `--help` and the README list it.
 */
export const openvzToKvmOptionsSchema = z
  .object({
    skipPreUpdate: z.boolean().default(false).describe("Skip step 1 (update and reboot both hosts to the newest point release) when you already did it."),
    cutover: z.boolean().default(false).describe("Cutover: the source's databases stay stopped after the final pass (default: they start again, the source stays usable)."),
    databases: z.array(z.string().min(1)).default([]).describe("Database services (systemd units) to stop for the final pass, beyond the detected MySQL/MariaDB/PostgreSQL ones."),
    services: z.array(z.string().min(1)).default([]).describe("Services that must be active on the target after its reboot."),
    extraExcludes: z
      .array(z.object({ path: z.string().startsWith("/"), reason: z.string().min(1) }))
      .default([])
      .describe("Extra rsync excludes: a list of {path: /absolute, reason: why}."),
    maxLivePasses: z.number().int().min(1).max(10).default(4).describe("Live sync passes before the freeze, at most (1-10)."),
    rebootTimeoutSec: z.number().int().positive().default(900).describe("Seconds to wait for the target to answer ssh again after its reboot."),
    targetAddressFromSource: hostNameSchema.optional().describe("Address the source uses to reach the target for rsync (default: the target's host)."),
    targetPortFromSource: z.number().int().min(1).max(65535).optional().describe("ssh port the source uses to reach the target for rsync (default: the target's port)."),
    deleteCheckpointsWhenDone: z.boolean().default(false).describe("Delete the migration's checkpoints once it finished (default: keep them, so `mudanza rollback` still can; `mudanza checkpoints PLAN --delete` removes them later)."),
  })
  .strict();

export type OpenvzToKvmOptions = z.infer<typeof openvzToKvmOptionsSchema>;

/** What the plan's parts mean for this kind (comments of `mudanza plan`, its --help, the README). */
export const openvzToKvmPlanDoc = {
  summary: "Copy an OpenVZ container into a KVM VM running the same distribution, then make the VM boot it.",
  source: "the container itself, through its own sshd (not the OpenVZ host node).",
  target: "a freshly installed KVM VM of the same distribution and point release, reachable by ssh.",
  /** Step id → the option that skips it: a declined gate names it. */
  skipOptions: { "pre-update": "skipPreUpdate" } as Record<string, string>,
};
