/** Parsers for virsh's human tables (libvirt 9 formats; fixtures/kvm/virsh-host holds real output). */

export interface DomainListEntry {
  id: number | null;
  name: string;
  state: string;
}

/** `virsh list --all`: " Id   Name     State" header, a dashed rule, then one row per domain. */
export function parseVirshList(text: string): DomainListEntry[] {
  const lines = text.split("\n");
  const rule = lines.findIndex((l) => /^-{5,}\s*$/.test(l.trim()));
  if (rule < 0) return [];
  const out: DomainListEntry[] = [];
  for (const line of lines.slice(rule + 1)) {
    const m = /^\s*(\d+|-)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (m) out.push({ id: m[1] === "-" ? null : Number(m[1]), name: m[2]!, state: m[3]! });
  }
  return out;
}

/** `virsh list --name` (one name a line, a blank line at the end). */
export const parseNameList = (text: string): string[] =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

/** `virsh dominfo NAME`: "Key:   value" lines. */
export function parseDominfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m) out[m[1]!.trim()] = m[2]!.trim();
  }
  return out;
}

export interface BlockDevice {
  type: string;
  device: string;
  target: string;
  source: string;
}

/** `virsh domblklist NAME --details`. */
export function parseDomblklist(text: string): BlockDevice[] {
  const lines = text.split("\n");
  const rule = lines.findIndex((l) => /^-{5,}\s*$/.test(l.trim()));
  if (rule < 0) return [];
  const out: BlockDevice[] = [];
  for (const line of lines.slice(rule + 1)) {
    const m = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (m) out.push({ type: m[1]!, device: m[2]!, target: m[3]!, source: m[4]! });
  }
  return out;
}
