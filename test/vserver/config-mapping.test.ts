import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";
import { activeAddresses, readVserverConfig, VserverConfigError } from "../../src/vserver/config.js";
import {
  CTID_CONF_MAPPING,
  mapVserverToCtidConf,
  unmappedSettings,
  type MappingInput,
} from "../../src/vserver/ctid-conf-mapping.js";
import { resolvePath } from "../../src/hosts/resolve-path.js";
import { osTemplateFor, readGuestRelease } from "../../src/vserver/release.js";
import { formatVzConfLine, setVzConfValues, substVeid, vzConfValues } from "../../src/openvz/vz-conf.js";

const web1Host = () => loadScriptedHost("fixtures/hosts/vserver-host-web1", "source");
const db1Host = () => loadScriptedHost("fixtures/vserver/db1-centos5", "source");

describe("VServer config reader (util-vserver layout)", () => {
  it("follows vdir -> .defaults/vdirbase/NAME -> /vservers/NAME through two links", async () => {
    const host = await web1Host();
    expect(await resolvePath(host, "/etc/vservers/web1/vdir")).toBe("/vservers/web1");
    expect(await resolvePath(host, "/etc/vservers/web1/vdir/etc/inittab")).toBe("/vservers/web1/etc/inittab");
  });

  it("reads what `vserver build` wrote for web1", async () => {
    const config = await readVserverConfig(await web1Host(), "/etc/vservers", "web1");
    expect(config).toMatchObject({
      name: "web1",
      context: 1001,
      nodename: "web1",
      vdir: "/vservers/web1",
      mark: "default",
    });
    expect(config.interfaces).toEqual([
      { id: "0", ip: "198.18.10.21", prefix: 24, mask: undefined, dev: "eth0", disabled: false, nodev: false },
    ]);
    expect(config.dlimits).toEqual([]);
    expect(config.rlimits).toEqual({});
  });

  it("applies interface defaults, keeps name order, and honours disabled and nodev", async () => {
    const config = await readVserverConfig(await db1Host(), "/etc/vservers", "db1");
    expect(config.interfaces.map((i) => [i.id, i.ip, i.prefix, i.dev, i.disabled, i.nodev])).toEqual([
      ["00", "198.18.20.11", 24, "eth1", false, false],
      ["01", "198.18.20.12", 24, "eth1", true, false],
      ["02", "198.18.20.13", 32, "eth1", false, true],
    ]);
    expect(activeAddresses(config)).toEqual(["198.18.20.11", "198.18.20.13"]);
    expect(config.dlimits).toEqual([
      { id: "0", directory: "/vservers/db1", spaceTotalKb: 10485760, inodesTotal: 500000, reserved: 5 },
    ]);
    expect(config.rlimits).toEqual({
      "as.hard": "262144",
      "nproc.hard": "400",
      "rss.hard": "131072",
      "rss.soft": "65536",
    });
    expect(config).toMatchObject({
      cpusetCpus: "0-1",
      bcapabilities: ["CAP_NET_RAW", "CAP_SYS_TIME"],
      ccapabilities: ["SET_UTSNAME"],
      flags: ["virt_mem", "sched_hard"],
      initStyle: "sysv",
      mark: undefined,
    });
    expect(config).toMatchObject({
      domainname: "nis.example.net",
      sched: { "fill-rate": "1", interval: "4", "tokens-max": "500" },
      schedSource: "sched",
      schedPerCpu: [],
    });
  });

  it("says clearly when the guest does not exist or a value is not a number", async () => {
    const host = await web1Host();
    await expect(readVserverConfig(host, "/etc/vservers", "nope")).rejects.toThrow(
      /\/etc\/vservers\/nope does not exist/,
    );
    host.putFile("/etc/vservers/web1/context", "abc\n");
    await expect(readVserverConfig(host, "/etc/vservers", "web1")).rejects.toBeInstanceOf(VserverConfigError);
    host.putFile("/etc/vservers/web1/context", "60000\n");
    await expect(readVserverConfig(host, "/etc/vservers", "web1")).rejects.toThrow(/outside the static range/);
  });
});

describe("guest release and OSTEMPLATE", () => {
  it("reads Debian 6 from debian_version (no os-release yet) and CentOS 5 from redhat-release", async () => {
    const deb = await readGuestRelease(await web1Host(), "/vservers/web1");
    expect(deb).toMatchObject({ family: "debian", id: "debian", version: "6.0.10", source: "/etc/debian_version" });
    expect(osTemplateFor(deb, "x86_64")).toBe("debian-6.0-x86_64");
    const cent = await readGuestRelease(await db1Host(), "/vservers/db1");
    expect(cent).toMatchObject({ family: "rhel", id: "centos", version: "5.11" });
    expect(osTemplateFor(cent, "i686")).toBe("centos-5-i686");
  });

  it("prefers os-release and names Ubuntu by its release", async () => {
    const host = await web1Host();
    host.putFile(
      "/vservers/web1/etc/os-release",
      'NAME="Ubuntu"\nVERSION_ID="12.04"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu precise (12.04.5 LTS)"\n',
    );
    const release = await readGuestRelease(host, "/vservers/web1");
    expect(release).toMatchObject({ family: "debian", id: "ubuntu", version: "12.04" });
    expect(osTemplateFor(release, "x86_64")).toBe("ubuntu-12.04-x86_64");
    expect(
      osTemplateFor({ family: "unknown", id: "x", version: "", pretty: "", source: "" }, "x86_64"),
    ).toBeUndefined();
  });
});

describe("VServer -> CTID.conf mapping (data)", () => {
  const input = async (): Promise<MappingInput> => ({
    config: await readVserverConfig(await db1Host(), "/etc/vservers", "db1"),
    ctid: 4242,
    osTemplate: "centos-5-x86_64",
    nameservers: ["198.18.0.53", "198.18.0.54"],
    searchDomains: ["example.net"],
    originSample: "vswap-256m",
    privateTemplate: "/var/lib/vz/private/$VEID",
    rootTemplate: "/var/lib/vz/root/$VEID",
  });

  it("maps every row for a guest that uses them all", async () => {
    const mapped = Object.fromEntries(mapVserverToCtidConf(await input()).map((m) => [m.key, m.value]));
    expect(mapped).toEqual({
      VE_ROOT: "/var/lib/vz/root/$VEID",
      VE_PRIVATE: "/var/lib/vz/private/$VEID",
      OSTEMPLATE: "centos-5-x86_64",
      ORIGIN_SAMPLE: "vswap-256m",
      HOSTNAME: "db1.example.net",
      IP_ADDRESS: "198.18.20.11 198.18.20.13",
      NAMESERVER: "198.18.0.53 198.18.0.54",
      SEARCHDOMAIN: "example.net",
      ONBOOT: "no",
      DISKSPACE: "10485760:11534336",
      DISKINODES: "500000:550000",
      NUMPROC: "400:400",
      PHYSPAGES: "0:65536",
      SWAPPAGES: "0:65536",
      CPULIMIT: "50",
      CPUMASK: "0-1",
      CAPABILITY: "NET_RAW:on SYS_TIME:on",
    });
    // every row of the table was exercised by this guest
    expect(Object.keys(mapped).sort()).toEqual(CTID_CONF_MAPPING.map((r) => r.key).sort());
  });

  it("leaves the sample's values when the guest has no counterpart, and ONBOOT follows the boot mark", async () => {
    const web1 = await readVserverConfig(await web1Host(), "/etc/vservers", "web1");
    const mapped = Object.fromEntries(
      mapVserverToCtidConf({
        config: web1,
        ctid: 1001,
        nameservers: [],
        searchDomains: [],
        privateTemplate: "/vz/private/$VEID",
        rootTemplate: "/vz/root/$VEID",
      }).map((m) => [m.key, m.value]),
    );
    expect(mapped.ONBOOT).toBe("yes");
    for (const key of ["DISKSPACE", "DISKINODES", "NUMPROC", "CPUMASK", "CAPABILITY", "NAMESERVER", "OSTEMPLATE"])
      expect(mapped).not.toHaveProperty(key);
  });

  it("reports what it cannot carry over instead of dropping it", async () => {
    const notes = unmappedSettings((await input()).config);
    expect(notes.join("\n")).toMatch(/ccapabilities \(SET_UTSNAME\)/);
    expect(notes.join("\n")).toMatch(/flags \(virt_mem\)/);
    expect(notes).toContain(
      "rlimits/as.hard = 262144: not carried over; the nearest vzctl setting is --privvmpages (private memory allocated, not the address space) (vzctl set CTID ... --save)",
    );
    expect(notes).toContain("sched: tokens-max=500: token-bucket details with no vzctl counterpart");
    expect(notes.join("\n")).not.toMatch(/rss|nproc|fill-rate/);
    const web1 = await readVserverConfig(await web1Host(), "/etc/vservers", "web1");
    expect(unmappedSettings(web1)).toEqual([
      expect.stringMatching(/fstab has 1 mount.*\/var\/www\/shared.*CTID\.mount/),
    ]);
    // with the container's id: its .mount script, and what was mounted there (new-user trial 10)
    expect(unmappedSettings(web1, 1001, "/etc/vz")).toEqual([
      "fstab has 1 mount(s) beyond proc/devpts/tmpfs (/srv/shared/www on /var/www/shared, options bind,ro): recreate them as bind mounts in /etc/vz/conf/1001.mount",
    ]);
    expect(unmappedSettings((await input()).config, 4242).join("\n")).toContain("(vzctl set 4242 ... --save)");
  });
});

describe("OpenVZ config files as vzctl writes them", () => {
  it("rewrites a sample's keys in place and appends new ones, like vzctl set --save", async () => {
    const sample = await readFile("fixtures/openvz/ve-vswap-256m.conf-sample", "utf8");
    const out = setVzConfValues(sample, [
      ["ONBOOT", "no"],
      ["DISKSPACE", "10485760:11534336"],
      ["VE_PRIVATE", "/vz/private/$VEID"],
      ["IP_ADDRESS", "198.18.20.11"],
    ]);
    const lines = out.split("\n");
    expect(lines.indexOf('ONBOOT="no"')).toBe(sample.split("\n").indexOf('ONBOOT="yes"'));
    expect(lines.indexOf('DISKSPACE="10485760:11534336"')).toBe(sample.split("\n").indexOf('DISKSPACE="1G"'));
    expect(lines.slice(-3)).toEqual(['VE_PRIVATE="/vz/private/$VEID"', 'IP_ADDRESS="198.18.20.11"', ""]);
    expect(out.startsWith("#  Copyright (C) 2000-2011, Parallels")).toBe(true);
    expect(vzConfValues(out)).toMatchObject({ PHYSPAGES: "0:256M", ONBOOT: "no", IP_ADDRESS: "198.18.20.11" });
  });

  it("refuses values that would break the shell-style file", () => {
    expect(() => formatVzConfLine("HOSTNAME", 'a"b')).toThrow(/cannot be written/);
    expect(() => formatVzConfLine("HOSTNAME", "$(reboot)")).toThrow(/cannot be written/);
    expect(formatVzConfLine("VE_ROOT", "/vz/root/$VEID")).toBe('VE_ROOT="/vz/root/$VEID"');
    expect(formatVzConfLine("VE_ROOT", "/vz/root/${VEID}")).toBe('VE_ROOT="/vz/root/${VEID}"');
  });

  it("expands a VE_PRIVATE template the way vzctl's subst_VEID does", () => {
    expect(substVeid("/var/lib/vz/private/$VEID", 101)).toBe("/var/lib/vz/private/101");
    expect(substVeid("/srv/ct/${VEID}/", 101)).toBe("/srv/ct/101");
    expect(substVeid("/vz/$VEID/private/$VEID", 7)).toBe("/vz/7/private/$VEID");
    expect(substVeid("/vz/private/", 101)).toBe("/vz/private");
  });
});
