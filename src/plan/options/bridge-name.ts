import { BadInputError } from "../../errors.js";

/**
 * A bridge given with --bridge (image clone's NIC, host doctor's check): an interface name, at most 15
 * characters (IFNAMSIZ), never "." or ".." and no ":" (the kernel's dev_valid_name refuses them;
 * /sys/class/net/.. is no bridge), and not starting with "-" (the fix a report prints, `ip link add NAME
 * type bridge`, would read it as an option). The name reaches a domain's XML, a path under /sys and that fix,
 * so it is checked first.
 */
export function checkBridgeName(bridge: string): void {
  if (!/^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,14}$/.test(bridge) || bridge === "." || bridge === "..")
    throw new BadInputError(
      `--bridge "${bridge}" is not an interface name (at most 15 letters, digits, . _ -, not starting with -)`,
    );
}
