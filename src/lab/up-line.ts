import { LAB_NET } from "./recipe.js";

/**
 * The line the lab logs once both hosts answer: where they are and what they are, in words a user knows. The
 * variant's own name ("kind") meant nothing to one (found by a new-user trial); the minimal variant says how it differs.
 */
export function labUpLine(variant: "kind" | "minimal", seconds: number): string {
  const minimal = variant === "minimal";
  return (
    `lab up in ${seconds} s: source ${LAB_NET.sourceAddress} (${minimal ? "minimal container" : "container"}), ` +
    `target 127.0.0.1:${LAB_NET.vmSshPortLoopback} (${minimal ? "VM on DHCP" : "VM"})`
  );
}
