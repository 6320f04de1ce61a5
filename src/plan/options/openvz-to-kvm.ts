import { z } from "zod";
import { targetAddressFromSourceSchema, unitNameSchema, wholeNumberSchema } from "../fields.js";

/**
 * Blockers an OpenVZ → KVM plan may acknowledge (options.acknowledge), each one a check that can be wrong
 * by design, with what it measures. Steps tag these findings with the id; any other id is a plan error.
 */
export const OVZ_ACKNOWLEDGEABLE = {
  "target-disk-too-small":
    "the copy's size (du over the source tree without the excludes) against what the target's root can hold",
  "source-sshd-missing": "no sshd binary at /usr/sbin/sshd or /sbin/sshd on the source",
  "source-network-service-missing": "the target's network service is not a unit systemd knows on the source",
  "network-client-missing":
    "the restored network config's service or DHCP client was not found at its usual paths on the VM",
} as const;
export type OvzBlockerId = keyof typeof OVZ_ACKNOWLEDGEABLE;

const blockerIdSchema = z.string().superRefine((id, ctx) => {
  if (!(id in OVZ_ACKNOWLEDGEABLE))
    ctx.addIssue({
      code: "custom",
      message: `unknown blocker id "${id}": a plan may acknowledge only ${Object.keys(OVZ_ACKNOWLEDGEABLE).join(", ")}`,
    });
});

/**
 * Plan options of an OpenVZ → KVM migration. Each `.describe()` text is the one documentation of its
 * option: `mudanza plan openvz-to-kvm` writes it as a comment, `--help` and the README list it.
 */
export const openvzToKvmOptionsSchema = z
  .object({
    skipPreUpdate: z
      .boolean()
      .default(false)
      .describe("Skip step 1 (update and reboot both hosts to the newest point release) when you already did it."),
    cutover: z
      .boolean()
      .default(false)
      .describe(
        "Cutover: the source's databases stay stopped after the final pass (default: they start again, the source stays usable).",
      ),
    databases: z
      .array(unitNameSchema)
      .default([])
      .describe(
        "Database services (systemd units) to stop for the final pass, beyond the detected MySQL/MariaDB/PostgreSQL ones.",
      ),
    services: z
      .array(unitNameSchema)
      .default([])
      .describe("Services that must be active on the target after its reboot."),
    extraExcludes: z
      .array(z.object({ path: z.string().startsWith("/"), reason: z.string().min(1) }).strict())
      .default([])
      .describe("Extra rsync excludes: a list of {path: /absolute, reason: why}."),
    finalPass: z
      .enum(["changed", "full"])
      .default("changed")
      .describe(
        "What the final pass copies while the databases are stopped: changed = the database directories whole and what changed since the last live pass began (by ctime), in one rsync that connects before the stop and waits for the list; after the thaw a full comparison copies again anything the source has not changed since the freeze, and a database file among them makes the freeze happen again with a full pass; full = the whole tree (a longer freeze). A cutover always copies the whole tree.",
      ),
    maxLivePasses: wholeNumberSchema("passes", 1, 10)
      .default(4)
      .describe("Live sync passes before the freeze, at most (1-10)."),
    // An hour, as startCheckTimeoutSec: a VM or container that has not answered by then will not.
    rebootTimeoutSec: wholeNumberSchema("seconds", 1, 3600)
      .default(900)
      .describe("Seconds to wait for the target to answer ssh again after its reboot."),
    targetAddressFromSource: targetAddressFromSourceSchema("source", "target")
      .optional()
      .describe("Address the source uses to reach the target for rsync (default: the target's host)."),
    targetPortFromSource: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe("ssh port the source uses to reach the target for rsync (default: the target's port)."),
    acknowledge: z
      .array(z.object({ id: blockerIdSchema, reason: z.string().min(1) }).strict())
      .default([])
      .describe(
        `Blockers you checked yourself and accept, each {id, reason: why it is wrong here}; recorded in the reports. Ids: ${Object.keys(OVZ_ACKNOWLEDGEABLE).join(", ")}.`,
      ),
    deleteCheckpointsWhenDone: z
      .boolean()
      .default(false)
      .describe(
        "Delete the migration's checkpoints once it finished (default: keep them, so `mudanza rollback` still can; `mudanza checkpoints PLAN --delete` removes them later).",
      ),
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
