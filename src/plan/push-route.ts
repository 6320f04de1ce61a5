import type { Endpoint } from "./endpoint.js";

/** How the source host reaches the target for the push (rsync over the source's own ssh). */
export interface PushRoute {
  user: "root";
  address: string;
  port: number;
}

interface PushRouteOptions {
  targetAddressFromSource?: string;
  targetPortFromSource?: number;
}

/** The plan's override, else the target endpoint; `targetWord` names the target in the error ("target", "node"). */
export function pushRouteOf(plan: { target: Endpoint; options: PushRouteOptions }, targetWord: string): PushRoute {
  const address = plan.options.targetAddressFromSource ?? plan.target.host;
  if (!address)
    throw new Error(
      `the plan has no address the source can reach the ${targetWord} at: set options.targetAddressFromSource`,
    );
  return { user: "root", address, port: plan.options.targetPortFromSource ?? plan.target.port };
}
