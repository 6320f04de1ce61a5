/**
 * Services that may run in the container and are not expected to run on the VM after its reboot: the
 * one list the reboot check leaves out of "every service active on the source is active on the VM",
 * each entry with why. Patterns are unit names with `*` for any characters.
 */
export const NOT_EXPECTED_ON_VM: ReadonlyArray<{ pattern: string; why: string }> = [
  {
    pattern: "console-getty.service",
    why: "the container's console login: systemd-getty-generator adds it only inside a container (a VM logs in on getty@tty1 / serial-getty)",
  },
  {
    pattern: "container-getty@*.service",
    why: "logins on the container manager's pseudo-terminals, added by systemd-getty-generator only inside a container",
  },
  { pattern: "vzfifo.service", why: "tells OpenVZ's vzctl that the container has started; there is no vzctl on a VM" },
  {
    pattern: "ifup@venet*.service",
    why: "brings up OpenVZ's venet interface, which a VM does not have (the network fix-up configured the VM's own NIC)",
  },
  {
    pattern: "user@*.service",
    why: "the service manager of a logged-in user: runs only while that user (the migration's own ssh session) is logged in",
  },
  { pattern: "user-runtime-dir@*.service", why: "a logged-in user's /run/user directory: exists only during a login" },
  { pattern: "run-*.service", why: "a transient unit (systemd-run): exists only while its command runs" },
  {
    pattern: "systemd-hostnamed.service",
    why: "started on demand over D-Bus and stops when idle: whether it runs at a given moment says nothing",
  },
  { pattern: "systemd-localed.service", why: "started on demand over D-Bus and stops when idle" },
  { pattern: "systemd-timedated.service", why: "started on demand over D-Bus and stops when idle" },
];

function matches(pattern: string, unit: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
  return re.test(unit);
}

/** Why a unit is not expected on the VM, or undefined when it is. */
export function notExpectedOnVm(unit: string): string | undefined {
  return NOT_EXPECTED_ON_VM.find((e) => matches(e.pattern, unit))?.why;
}
