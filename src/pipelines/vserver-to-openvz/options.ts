import { z } from "zod";

/** Plan options of a Linux-VServer → OpenVZ migration. */
export const vserverToOpenvzOptionsSchema = z
  .object({
    /** The guest's name under /etc/vservers on the source. */
    guest: z.string().regex(/^[A-Za-z0-9._-]+$/, "a VServer guest name (letters, digits, . _ -)"),
    /** Container id on the OpenVZ node; chosen from the context id when absent. */
    ctid: z.number().int().min(101).max(2147483647).optional(),
    /** Leave the VServer guest marked to start at boot (default: disable it). */
    keepGuestOnBoot: z.boolean().default(false),
    maxLivePasses: z.number().int().min(1).max(10).default(3),
    /** How long the container's services get to come up after `vzctl start` before the checks fail. */
    startCheckTimeoutSec: z.number().int().min(0).max(3600).default(120),
    /** util-vserver's configuration directory on the source. */
    vserversConfDir: z.string().startsWith("/").default("/etc/vservers"),
    /** OpenVZ's configuration directory on the node (vz.conf, conf/CTID.conf). */
    vzConfDir: z.string().startsWith("/").default("/etc/vz"),
    /** Address the source uses to reach the node for rsync (defaults to the target's host). */
    targetAddressFromSource: z.string().min(1).optional(),
    targetPortFromSource: z.number().int().min(1).max(65535).optional(),
  })
  .strict();

export type VserverToOpenvzOptions = z.infer<typeof vserverToOpenvzOptionsSchema>;
