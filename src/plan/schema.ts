import { z } from "zod";
import { endpointSchema } from "./endpoint.js";
import { openvzToKvmOptionsSchema } from "../pipelines/openvz-to-kvm/options.js";
import { vserverToOpenvzOptionsSchema } from "../pipelines/vserver-to-openvz/options.js";

const common = {
  /** Names the migration (journal file); defaults to the plan file's name. */
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, "letters, digits, dot, underscore, dash").optional(),
  source: endpointSchema,
  target: endpointSchema,
};

export const planSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("openvz-to-kvm"), ...common, options: openvzToKvmOptionsSchema.default(openvzToKvmOptionsSchema.parse({})) }).strict(),
  z.object({ kind: z.literal("vserver-to-openvz"), ...common, options: vserverToOpenvzOptionsSchema }).strict(),
]);

export type Plan = z.infer<typeof planSchema>;
export type PlanKind = Plan["kind"];
export type PlanOf<K extends PlanKind> = Extract<Plan, { kind: K }>;
export const planKinds = ["openvz-to-kvm", "vserver-to-openvz"] as const satisfies readonly PlanKind[];
