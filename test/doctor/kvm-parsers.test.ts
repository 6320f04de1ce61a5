import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseCpuinfo } from "../../src/kvm/cpuinfo.js";
import { parseDomainXml } from "../../src/kvm/domain-xml.js";
import { ksmSavedBytes, parseGrepH, parseKsm } from "../../src/kvm/ksm.js";
import { memTotalBytes } from "../../src/kvm/meminfo.js";
import { parseMemorySize, parseSize } from "../../src/kvm/sizes.js";
import { formatBytes } from "../../src/render/format.js";
import { parseDomblklist, parseDominfo, parseNameList, parseVirshList } from "../../src/kvm/virsh.js";
import { containerMemory, pagesValueToBytes } from "../../src/openvz/container-memory.js";

const fx = (p: string): string => readFileSync(`fixtures/kvm/${p}`, "utf8");
const ksmDir = (dir: string): Record<string, string> =>
  Object.fromEntries(
    [
      "run",
      "pages_shared",
      "pages_sharing",
      "pages_unshared",
      "pages_volatile",
      "full_scans",
      "pages_to_scan",
      "sleep_millisecs",
    ].map((n) => [n, fx(`${dir}/sys/kernel/mm/ksm/${n}`)]),
  );

describe("/proc/cpuinfo", () => {
  it("finds vmx on the Intel host", () => {
    expect(parseCpuinfo(fx("intel-vmx-host/proc/cpuinfo"))).toMatchObject({
      cpus: 1,
      flag: "vmx",
      vendor: "GenuineIntel",
      underHypervisor: false,
    });
  });
  it("finds neither on this development VM, and sees the hypervisor flag", () => {
    expect(parseCpuinfo(fx("this-host/proc/cpuinfo"))).toMatchObject({
      cpus: 2,
      flag: null,
      vendor: "AuthenticAMD",
      underHypervisor: true,
    });
  });
  it("needs the flag on every CPU", () => {
    const one = fx("intel-vmx-host/proc/cpuinfo");
    expect(parseCpuinfo(one + one.replace("processor\t: 0", "processor\t: 1").replace(" vmx ", " ")).flag).toBeNull();
  });
});

describe("KSM sysfs", () => {
  it("reads a stopped KSM", () => {
    expect(parseKsm(ksmDir("this-host"))).toMatchObject({ run: 0, pagesShared: 0, pagesSharing: 0 });
  });
  it("reads a running KSM and computes the memory saved", () => {
    const state = parseKsm(ksmDir("ksm-running"));
    expect(state).toMatchObject({ run: 1, pagesShared: 17, pagesSharing: 48, fullScans: 842 });
    expect(ksmSavedBytes(state, 4096)).toBe(196_608);
  });
  it("parses grep -H output and refuses garbage", () => {
    expect(parseGrepH("/sys/kernel/mm/ksm/run:1\n/sys/kernel/mm/ksm/pages_shared:17\n")).toEqual({
      run: "1",
      pages_shared: "17",
    });
    expect(() => parseKsm({ ...ksmDir("this-host"), run: "on" })).toThrow(/not a number/);
  });
});

describe("/proc/meminfo", () => {
  it("MemTotal in bytes", () => expect(memTotalBytes(fx("this-host/proc/meminfo"))).toBe(24684096 * 1024));
});

describe("virsh output (libvirt 9.0.0)", () => {
  it("list --all", () => {
    expect(parseVirshList(fx("virsh-host/list-all.txt"))).toEqual([
      { id: 1, name: "web1", state: "running" },
      { id: null, name: "legacy", state: "shut off" },
    ]);
    expect(parseNameList(fx("virsh-host/list-all-name.txt"))).toEqual(["web1", "legacy"]);
  });
  it("dominfo and domblklist", () => {
    expect(parseDominfo(fx("virsh-host/dominfo-legacy.txt"))).toMatchObject({
      Name: "legacy",
      State: "shut off",
      "Max memory": "8388608 KiB",
    });
    expect(parseDomblklist(fx("virsh-host/domblklist-web1.txt"))).toEqual([
      { type: "file", device: "disk", target: "vda", source: "/var/lib/libvirt/images/web1.qcow2" },
    ]);
  });
  it("dumpxml: memory, disk buses and NIC models", () => {
    expect(parseDomainXml(fx("virsh-host/dumpxml-legacy.xml"))).toMatchObject({
      name: "legacy",
      type: "kvm",
      memoryBytes: 8 * 1024 ** 3,
      disks: [{ device: "disk", bus: "ide", source: "/var/lib/libvirt/images/legacy.img", target: "hda" }],
      nics: [{ type: "bridge", model: "e1000", source: "br0" }],
    });
    expect(parseDomainXml(fx("virsh-test-driver/dumpxml-test.xml")).nics).toEqual([
      { type: "network", model: null, source: "default" },
    ]);
  });
});

describe("vzctl container memory", () => {
  it("VSwap: RAM guaranteed, RAM + swap burst", () => {
    expect(containerMemory(fx("openvz/ve-vswap-1024m.conf-sample"))).toMatchObject({
      model: "vswap",
      guaranteedBytes: 1024 ** 3,
      burstBytes: 3 * 1024 ** 3,
    });
  });
  it("UBC: VMGUARPAGES barrier guaranteed, PRIVVMPAGES limit burst, in 4 KiB pages", () => {
    expect(containerMemory(fx("openvz/ve-basic.conf-sample"))).toMatchObject({
      model: "ubc",
      guaranteedBytes: 33792 * 4096,
      burstBytes: 69632 * 4096,
    });
  });
  it("values: pages, suffixes, unlimited and LONG_MAX", () => {
    expect(pagesValueToBytes("262144", "PHYSPAGES")).toBe(1024 ** 3);
    expect(pagesValueToBytes("512M", "PHYSPAGES")).toBe(512 * 1024 ** 2);
    expect(pagesValueToBytes("10P", "PHYSPAGES")).toBe(40960);
    expect(pagesValueToBytes("unlimited", "X")).toBeNull();
    expect(pagesValueToBytes("9223372036854775807", "X")).toBeNull();
    expect(() => pagesValueToBytes("lots", "PHYSPAGES")).toThrow(/not a vzctl value/);
  });
  it("a config without memory limits is refused", () => {
    expect(() => containerMemory('HOSTNAME="x"\n', "101.conf")).toThrow(/no memory limits/);
  });
});

describe("sizes", () => {
  it("parses and formats binary sizes", () => {
    expect(parseSize("2G")).toBe(2 * 1024 ** 3);
    expect(parseSize("512MiB")).toBe(512 * 1024 ** 2);
    expect(() => parseSize("two gigs", "--vm-memory")).toThrow(/--vm-memory/);
    expect(() => parseSize("0")).toThrow(/more than zero/);
    // a VM's memory needs its unit: qemu's habit reads a bare 512 as MiB (found by a new-user trial)
    expect(() => parseMemorySize("512", "--vm-memory")).toThrow(
      '--vm-memory: "512" has no unit: write 512M or 512G (a bare number would be bytes, not qemu\'s MiB)',
    );
    // zero is no size in any unit: no "write 0M or 0G" (new-user trial 10)
    expect(() => parseMemorySize("0", "--vm-memory")).toThrow('--vm-memory: "0" must be more than zero');
    expect(parseMemorySize("512M", "--memory")).toBe(512 * 1024 ** 2);
    expect(parseMemorySize("1g", "--memory")).toBe(1024 ** 3);
    expect(formatBytes(196_608)).toBe("192 KiB");
  });
});
