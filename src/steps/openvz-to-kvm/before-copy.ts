import type { Host } from "../../hosts/host.js";
import { readDefaultRoutes, readGlobalAddresses, showAddress } from "../network/ip-addresses.js";
import { pickResolvedName } from "../network/name-resolution.js";
import { failedUnits } from "../services/unit-lists.js";
import type { VmBeforeCopy } from "./facts.js";

/** A unit list, or why it could not be read: a capture never fails the step that takes it. */
export async function unitListOrWhy(
  read: () => Promise<string[]>,
): Promise<{ units: string[] } | { unreadable: string }> {
  try {
    return { units: await read() };
  } catch (e) {
    return { unreadable: e instanceof Error ? e.message : String(e) };
  }
}

/** The VM as it runs before the first copy: what its reboot must bring back (capture-target). */
export async function readVmBeforeCopy(target: Host, signal?: AbortSignal): Promise<VmBeforeCopy> {
  const at = new Date().toISOString();
  // asked together: a host that takes several commands at once answers them in one round trip
  const [addresses, defaultRoutes, failed, resolved] = await Promise.all([
    readGlobalAddresses(target, signal),
    readDefaultRoutes(target, signal),
    unitListOrWhy(() => failedUnits(target, signal)),
    pickResolvedName(target, signal),
  ]);
  return { at, addresses, defaultRoutes, failedUnits: failed, resolved };
}

/** One line for the gate and the dry run. */
export function describeVmBeforeCopy(vm: VmBeforeCopy): string {
  const failed = "units" in vm.failedUnits ? vm.failedUnits.units.join(", ") || "none" : "not readable";
  const dns = vm.resolved.name
    ? `${vm.resolved.name} resolves`
    : `no name resolved${vm.resolved.tried.length ? ` (tried ${vm.resolved.tried.join(", ")})` : " (the package sources name no host)"}`;
  return `checked again after the reboot: addresses ${vm.addresses.map(showAddress).join(", ") || "none"}; ${dns}; failed units now: ${failed}`;
}
