import { z } from "zod";
import { hostNameSchema, userNameSchema, wholeNumberSchema } from "./fields.js";

/**
 * How to reach one host of a plan. `ssh` is the real thing; `local` runs on this machine; `scripted`
 * answers from a fixture directory (demos and tests on systems that cannot run here).
 */
export const endpointFields = {
  transport: z.enum(["ssh", "local", "scripted"]).default("ssh"),
  host: hostNameSchema.optional(),
  port: z.number().int().min(1).max(65535).default(22),
  user: userNameSchema.default("root"),
  /** Run commands through `sudo -n` when the user is not root. */
  sudo: z.boolean().default(false),
  // Empty would name the plan's folder (a relative path is the plan folder's): said as an empty value.
  identityFile: z.string().min(1).optional(),
  /** Pinned host key fingerprint, as `ssh-keygen -lf` prints it (SHA256:...). */
  hostKey: z
    .string()
    .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, "a SHA256 fingerprint like SHA256:uNiVz...")
    .optional(),
  knownHostsFile: z.string().min(1).optional(),
  /** Directory of a scripted host fixture (transport: scripted). */
  fixture: z.string().optional(),
  /** Seconds for the ssh handshake: a host that has not answered in 10 minutes will not, so more is a typo. */
  connectTimeoutSec: wholeNumberSchema("seconds", 1, 600).default(20),
};

/** The rules across fields: also applied to the hosts a plan names elsewhere (checkpoint backends). */
export function checkEndpoint(
  endpoint: { transport: string; host?: string; fixture?: string; hostKey?: string },
  ctx: z.RefinementCtx,
): void {
  if (endpoint.transport === "ssh" && !endpoint.host)
    ctx.addIssue({ code: "custom", path: ["host"], message: "an ssh endpoint needs a host" });
  if (endpoint.transport === "scripted" && !endpoint.fixture)
    ctx.addIssue({ code: "custom", path: ["fixture"], message: "a scripted endpoint needs a fixture directory" });
  // A pin that nothing checks would look like protection: only ssh presents a host key.
  if (endpoint.transport !== "ssh" && endpoint.hostKey)
    ctx.addIssue({
      code: "custom",
      path: ["hostKey"],
      message: `a ${endpoint.transport} endpoint has no ssh host key to pin; remove hostKey or use transport: ssh`,
    });
}

export const endpointSchema = z.object(endpointFields).strict().superRefine(checkEndpoint);

export type Endpoint = z.infer<typeof endpointSchema>;
