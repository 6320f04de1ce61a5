import { execFileSync } from "node:child_process";
import { LAB_NET } from "./recipe.js";
import { runLocal, tryLocal } from "./local.js";

/**
 * The container's network: a namespace with one veth pair. The end inside is named `venet0`, standing
 * in for OpenVZ's venet device (this kernel has no dummy module), and the container's own ifupdown
 * configures it from the vzctl-style /etc/network/interfaces. The host end carries LAB_NET.hostAddress.
 */
export const netnsPath = `/run/netns/${LAB_NET.netns}`;

export async function createLabNetwork(): Promise<void> {
  await removeLabNetwork();
  await runLocal(["ip", "netns", "add", LAB_NET.netns]);
  await runLocal([
    "ip",
    "link",
    "add",
    LAB_NET.hostVeth,
    "type",
    "veth",
    "peer",
    "name",
    LAB_NET.containerVeth,
    "netns",
    LAB_NET.netns,
  ]);
  await runLocal(["ip", "addr", "add", `${LAB_NET.hostAddress}/${LAB_NET.prefix}`, "dev", LAB_NET.hostVeth]);
  await runLocal(["ip", "link", "set", LAB_NET.hostVeth, "up"]);
  await runLocal(["ip", "netns", "exec", LAB_NET.netns, "ip", "link", "set", "lo", "up"]);
}

export async function removeLabNetwork(): Promise<void> {
  await tryLocal(["ip", "link", "del", LAB_NET.hostVeth]);
  await tryLocal(["ip", "netns", "del", LAB_NET.netns]);
}

/** Synchronous variant for process-exit handlers. */
export function removeLabNetworkSync(): void {
  for (const argv of [
    ["ip", "link", "del", LAB_NET.hostVeth],
    ["ip", "netns", "del", LAB_NET.netns],
  ]) {
    try {
      execFileSync(argv[0]!, argv.slice(1), { stdio: "ignore" });
    } catch {
      // already gone
    }
  }
}
