/**
 * The few facts mudanza needs from a libvirt domain XML (`virsh dumpxml`), read with patterns that match
 * libvirt's own normalised output (single-quoted attributes, one element per line), not a general XML parser.
 */
export interface DomainDisk {
  device: string;
  bus: string | null;
  source: string | null;
  target: string | null;
  readonly: boolean;
}
export interface DomainNic {
  type: string;
  model: string | null;
  source: string | null;
}
export interface DomainSummary {
  name: string;
  type: string;
  memoryBytes: number;
  disks: DomainDisk[];
  nics: DomainNic[];
}

const UNIT: Record<string, number> = {
  b: 1,
  bytes: 1,
  kib: 1024,
  k: 1024,
  mib: 1024 ** 2,
  m: 1024 ** 2,
  gib: 1024 ** 3,
  g: 1024 ** 3,
  tib: 1024 ** 4,
  t: 1024 ** 4,
  kb: 1000,
  mb: 1e6,
  gb: 1e9,
};

const attr = (tag: string, name: string): string | null => {
  const m = new RegExp(`\\s${name}=(?:'([^']*)'|"([^"]*)")`).exec(tag);
  return m ? unescapeXml(m[1] ?? m[2] ?? "") : null;
};

export function parseDomainXml(xml: string): DomainSummary {
  const domainTag = /<domain\b[^>]*>/.exec(xml)?.[0];
  if (!domainTag) throw new Error("not a libvirt domain XML: no <domain> element");
  const name = /<name>([^<]*)<\/name>/.exec(xml)?.[1];
  if (!name) throw new Error("domain XML has no <name>");
  const mem = /<memory\b([^>]*)>(\d+)<\/memory>/.exec(xml);
  const unit = (mem ? attr(mem[1]!, "unit") : null) ?? "KiB";
  const memoryBytes = mem ? Number(mem[2]) * (UNIT[unit.toLowerCase()] ?? 1024) : 0;
  const disks = [...xml.matchAll(/<disk\b([^>]*)>([\s\S]*?)<\/disk>/g)].map((m) => {
    const body = m[2]!;
    const source = /<source\b[^>]*>/.exec(body)?.[0];
    const target = /<target\b[^>]*>/.exec(body)?.[0];
    return {
      device: attr(m[1]!, "device") ?? "disk",
      bus: target ? attr(target, "bus") : null,
      target: target ? attr(target, "dev") : null,
      source: source ? (attr(source, "file") ?? attr(source, "dev") ?? attr(source, "name")) : null,
      readonly: /<readonly\s*\/>/.test(body),
    };
  });
  const nics = [...xml.matchAll(/<interface\b([^>]*)>([\s\S]*?)<\/interface>/g)].map((m) => {
    const body = m[2]!;
    const model = /<model\b[^>]*>/.exec(body)?.[0];
    const source = /<source\b[^>]*>/.exec(body)?.[0];
    return {
      type: attr(m[1]!, "type") ?? "unknown",
      model: model ? attr(model, "type") : null,
      source: source ? (attr(source, "bridge") ?? attr(source, "network") ?? attr(source, "dev")) : null,
    };
  });
  return { name: unescapeXml(name), type: attr(domainTag, "type") ?? "unknown", memoryBytes, disks, nics };
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/'/g, "&apos;")
    .replace(/"/g, "&quot;");
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&apos;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}

export interface NewDomain {
  name: string;
  memoryBytes: number;
  vcpus: number;
  diskPath: string;
  bridge: string;
  /** libvirt domain type: kvm on a real host, qemu for TCG-only hosts. */
  type?: "kvm" | "qemu";
  mac?: string;
}

/** A minimal KVM guest: virtio disk (qcow2 overlay) and a virtio NIC on a host bridge. */
export function buildDomainXml(d: NewDomain): string {
  const kib = Math.ceil(d.memoryBytes / 1024);
  return [
    `<domain type='${d.type ?? "kvm"}'>`,
    `  <name>${escapeXml(d.name)}</name>`,
    `  <memory unit='KiB'>${kib}</memory>`,
    `  <currentMemory unit='KiB'>${kib}</currentMemory>`,
    `  <vcpu>${d.vcpus}</vcpu>`,
    `  <os>`,
    `    <type arch='x86_64'>hvm</type>`,
    `    <boot dev='hd'/>`,
    `  </os>`,
    `  <features><acpi/><apic/></features>`,
    `  <devices>`,
    `    <disk type='file' device='disk'>`,
    `      <driver name='qemu' type='qcow2' discard='unmap'/>`,
    `      <source file='${escapeXml(d.diskPath)}'/>`,
    `      <target dev='vda' bus='virtio'/>`,
    `    </disk>`,
    `    <interface type='bridge'>`,
    ...(d.mac ? [`      <mac address='${escapeXml(d.mac)}'/>`] : []),
    `      <source bridge='${escapeXml(d.bridge)}'/>`,
    `      <model type='virtio'/>`,
    `    </interface>`,
    `    <serial type='pty'/>`,
    `    <console type='pty'/>`,
    `  </devices>`,
    `</domain>`,
    ``,
  ].join("\n");
}
