import { BadInputError } from "../../errors.js";

/**
 * A bridge given with --bridge (image clone's NIC, host doctor's check): an interface name, at most 15
 * characters (IFNAMSIZ), and never "." or ".." (the kernel refuses both; /sys/class/net/.. is no bridge).
 * The name reaches a domain's XML, a path under /sys and the fix a report prints, so it is checked first.
 */
export function checkBridgeName(bridge: string): void {
  if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(bridge) || bridge === "." || bridge === "..")
    throw new BadInputError(`--bridge "${bridge}" is not an interface name (at most 15 letters, digits, . _ - :)`);
}
