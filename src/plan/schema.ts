import { z } from "zod";
import { endpointSchema } from "./endpoint.js";
import { checkpointsSchema } from "./checkpoints.js";
import { openvzToKvmOptionsSchema } from "./options/openvz-to-kvm.js";
import { vserverToOpenvzOptionsSchema } from "./options/vserver-to-openvz.js";

/** A migration id names files in the state dir: short, and nothing a path or a terminal would read. */
export const MIGRATION_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;
export const MIGRATION_ID_RULE = "letters, digits, dot, underscore, dash; at most 64, not starting with a dot";

const common = {
  /** Names the migration (journal file); defaults to the plan file's name. */
  name: z.string().regex(MIGRATION_ID, MIGRATION_ID_RULE).optional(),
  source: endpointSchema,
  target: endpointSchema,
};

export const planSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("openvz-to-kvm"),
      ...common,
      checkpoints: checkpointsSchema.optional(),
      options: openvzToKvmOptionsSchema.default(openvzToKvmOptionsSchema.parse({})),
    })
    .strict(),
  z.object({ kind: z.literal("vserver-to-openvz"), ...common, options: vserverToOpenvzOptionsSchema }).strict(),
]);

export type Plan = z.infer<typeof planSchema>;
export type PlanKind = Plan["kind"];
export type PlanOf<K extends PlanKind> = Extract<Plan, { kind: K }>;
export const planKinds = ["openvz-to-kvm", "vserver-to-openvz"] as const satisfies readonly PlanKind[];
