import { z } from "zod";
import { targetAddressFromSourceSchema } from "../fields.js";

/**
 * Plan options of a Linux-VServer → OpenVZ migration. Each `.describe()` text is the one documentation
 * of its option: `mudanza plan vserver-to-openvz` writes it as a comment, `--help` and the README list it.
 */
export const vserverToOpenvzOptionsSchema = z
  .object({
    // A guest is a folder under /etc/vservers and an argument of `vserver NAME ...`: "." and ".." would
    // name /etc/vservers or /etc, a leading "." util-vserver's own folders (.defaults, .distributions),
    // a leading "-" an option of vserver's.
    guest: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
        "a VServer guest name may only hold letters, digits, dot, underscore and dash, and must start with a letter or digit",
      )
      .describe("The guest's name under /etc/vservers on the VServer host (required)."),
    ctid: z
      .number()
      .int()
      .min(101)
      .max(2147483647)
      .optional()
      .describe("Container id on the OpenVZ node (101 or more; default: chosen from the guest's context id)."),
    keepGuestOnBoot: z
      .boolean()
      .default(false)
      .describe("Leave the VServer guest marked to start at boot (default: disable it once the container runs)."),
    maxLivePasses: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(3)
      .describe("Live sync passes before the guest is stopped, at most (1-10)."),
    startCheckTimeoutSec: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(120)
      .describe("Seconds the container's services get to come up after `vzctl start` before the checks fail."),
    vserversConfDir: z
      .string()
      .startsWith("/")
      .default("/etc/vservers")
      .describe("util-vserver's configuration directory on the VServer host."),
    vzConfDir: z
      .string()
      .startsWith("/")
      .default("/etc/vz")
      .describe("OpenVZ's configuration directory on the node (vz.conf, conf/CTID.conf)."),
    targetAddressFromSource: targetAddressFromSourceSchema("VServer host", "node")
      .optional()
      .describe("Address the VServer host uses to reach the node for rsync (default: the target's host)."),
    targetPortFromSource: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe("ssh port the VServer host uses to reach the node for rsync (default: the target's port)."),
  })
  .strict();

export type VserverToOpenvzOptions = z.infer<typeof vserverToOpenvzOptionsSchema>;

/** What the plan's parts mean for this kind (comments of `mudanza plan`, its --help, the README). */
export const vserverToOpenvzPlanDoc = {
  summary: "Move a Linux-VServer guest into an OpenVZ container on another machine.",
  source: "the VServer host that runs the guest (root, or a user with sudo).",
  target: "the OpenVZ node that will run the container.",
  /** Step id → the option that skips it: a declined gate names it. */
  skipOptions: { "disable-guest": "keepGuestOnBoot" } as Record<string, string>,
};
