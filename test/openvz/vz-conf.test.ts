import { describe, expect, it } from "vitest";
import { parseVzConf, vzConfValues } from "../../src/openvz/vz-conf.js";
import { containerMemory } from "../../src/openvz/container-memory.js";

// One reader for every OpenVZ config (CTID.conf, vz.conf, samples): vzctl writes KEY="value", admins write the rest.
const conf = [
  "# Global parameters",
  'VE_PRIVATE="/var/lib/vz/private/$VEID"',
  "VE_ROOT='/var/lib/vz/root/$VEID'",
  "ONBOOT=yes",
  'PHYSPAGES="0:512M"   # raised for the shop',
  "SWAPPAGES=0:1G # bare with a comment",
  'HOSTNAME="web#1"',
  "",
].join("\n");

describe("the one vz.conf reader", () => {
  it("reads double-quoted, single-quoted and bare values, with or without a trailing comment", () => {
    expect(vzConfValues(conf)).toEqual({
      VE_PRIVATE: "/var/lib/vz/private/$VEID",
      VE_ROOT: "/var/lib/vz/root/$VEID",
      ONBOOT: "yes",
      PHYSPAGES: "0:512M",
      SWAPPAGES: "0:1G",
      HOSTNAME: "web#1",
    });
  });

  it("keeps every line's raw text, so a rewrite changes only the keys it sets", () => {
    const lines = parseVzConf(conf);
    expect(lines.map((l) => l.raw).join("\n")).toBe(conf);
    expect(lines[0]).toEqual({ raw: "# Global parameters" });
  });

  it("the memory report reads the same values (a single-quoted or commented limit is not lost)", () => {
    expect(containerMemory(conf)).toMatchObject({
      model: "vswap",
      guaranteedBytes: 512 * 1024 ** 2,
      burstBytes: 1536 * 1024 ** 2,
    });
  });
});
