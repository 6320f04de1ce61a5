import type { Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import { parseDomainXml, type DomainSummary } from "../../kvm/domain-xml.js";
import { parseNameList } from "../../kvm/virsh.js";

export interface LibvirtView {
  /** null when virsh is missing or libvirt cannot be reached (then `why` says which). */
  domains: Array<DomainSummary & { state: string }> | null;
  why?: string;
  /** virsh is installed but did not reach libvirt: its message, every line (the cause is after the first). */
  virshError?: string;
}

/**
 * virsh's error in one line, every line kept: its first is always "failed to connect to the hypervisor", the
 * cause (a missing socket, an unknown URI, ssh refused) is the next (found by new-user trial 10).
 */
export function virshErrorText(output: string): string {
  return output
    .split("\n")
    .map((line) => line.trim().replace(/^error: /, ""))
    .filter(Boolean)
    .join(": ");
}

/** Every defined domain with its state and devices, through virsh (read-only commands only). */
export async function readDomains(host: Host, uri: string, signal?: AbortSignal): Promise<LibvirtView> {
  if ((await host.exec("command -v virsh", { signal })).code !== 0)
    return { domains: null, why: "virsh is not installed" };
  const list = await host.exec(cmd("virsh", "-c", uri, "list", "--all", "--name"), { signal, timeoutMs: 30_000 });
  if (list.code !== 0) {
    const virshError = virshErrorText(list.stderr || list.stdout) || `virsh exited ${list.code}`;
    return { domains: null, why: `libvirt at ${uri} did not answer: ${virshError}`, virshError };
  }
  const domains: Array<DomainSummary & { state: string }> = [];
  for (const name of parseNameList(list.stdout)) {
    const xml = await host.exec(cmd("virsh", "-c", uri, "dumpxml", name), { signal, timeoutMs: 30_000 });
    const state = await host.exec(cmd("virsh", "-c", uri, "domstate", name), { signal, timeoutMs: 30_000 });
    if (xml.code !== 0) continue; // undefined between the two calls
    domains.push({ ...parseDomainXml(xml.stdout), state: state.stdout.trim() || "unknown" });
  }
  return { domains };
}

/** Domains whose disks point at `path` (compared as given and as resolved by the caller). */
export function domainsUsing(
  view: LibvirtView,
  paths: string[],
): Array<{ name: string; state: string; readonly: boolean }> {
  const wanted = new Set(paths);
  return (view.domains ?? []).flatMap((d) =>
    d.disks
      .filter((disk) => disk.source !== null && wanted.has(disk.source))
      .map((disk) => ({ name: d.name, state: d.state, readonly: disk.readonly })),
  );
}
