import type { Host } from "../../hosts/host.js";
import { redactUriPasswords } from "../../journal/secrets.js";
import { readDomains, type LibvirtView } from "../image/libvirt-users.js";

/**
 * readDomains for the doctor's report: why libvirt did not answer names the --connect URI (so may virsh's own
 * message), and the report, events and journal must not hold a password written into it (new-user trial 8).
 */
export async function readDomainsToReport(host: Host, uri: string, signal?: AbortSignal): Promise<LibvirtView> {
  const view = await readDomains(host, uri, signal);
  return {
    ...view,
    ...(view.why === undefined ? {} : { why: redactUriPasswords(view.why) }),
    ...(view.virshError === undefined ? {} : { virshError: redactUriPasswords(view.virshError) }),
  };
}
