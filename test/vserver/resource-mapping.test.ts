import { describe, expect, it } from "vitest";
import type { VserverConfig } from "../../src/vserver/config.js";
import {
  cpuCount,
  cpuLimitFromSched,
  memoryFromRss,
  unmappedResourceNotes,
} from "../../src/vserver/resource-mapping.js";

const config = (over: Partial<VserverConfig>): VserverConfig => ({
  name: "g",
  confDir: "/etc/vservers/g",
  vdir: "/vservers/g",
  interfaces: [],
  dlimits: [],
  rlimits: {},
  sched: {},
  schedPerCpu: [],
  bcapabilities: [],
  ccapabilities: [],
  flags: [],
  ...over,
});

describe("VServer rss limits -> VSwap PHYSPAGES/SWAPPAGES", () => {
  it("splits rss.hard (RAM + swap) into RAM (rss.soft) and the rest as swap", () => {
    expect(memoryFromRss({ "rss.soft": "65536", "rss.hard": "131072" })).toEqual({
      PHYSPAGES: "0:65536",
      SWAPPAGES: "0:65536",
    });
  });
  it("gives all of a lone rss.hard or rss as RAM, with no swap, so the total stays the same", () => {
    expect(memoryFromRss({ "rss.hard": "131072" })).toEqual({ PHYSPAGES: "0:131072", SWAPPAGES: "0:0" });
    expect(memoryFromRss({ rss: "4096" })).toEqual({ PHYSPAGES: "0:4096", SWAPPAGES: "0:0" });
  });
  it("reads util-vserver's inf as vzctl's unlimited, and ignores what is not a limit", () => {
    expect(memoryFromRss({ "rss.soft": "65536", "rss.hard": "inf" })).toEqual({
      PHYSPAGES: "0:65536",
      SWAPPAGES: "0:unlimited",
    });
    expect(memoryFromRss({ "rss.hard": "lots" })).toEqual({});
    expect(memoryFromRss({ "nproc.hard": "400" })).toEqual({});
  });
});

describe("VServer token bucket -> CPULIMIT", () => {
  const sched = { "fill-rate": "1", interval: "4" };
  it("caps at the share of each CPU of the cpuset, only with sched_hard", () => {
    expect(cpuLimitFromSched(config({ sched, flags: ["sched_hard"], cpusetCpus: "0-1,4" }))).toBe("75");
    expect(cpuLimitFromSched(config({ sched, flags: [], cpusetCpus: "0-1" }))).toBeUndefined();
    expect(cpuCount("0-3,8")).toBe(5);
    expect(cpuCount("0-x")).toBeUndefined();
  });
  it("says what to set by hand when it cannot know the CPU count, or when the bucket only biased priority", () => {
    expect(unmappedResourceNotes(config({ sched, flags: ["sched_hard"] }))).toEqual([
      expect.stringMatching(
        /^sched: fill-rate 1 \/ interval 4 with sched_hard capped the guest at 25% of each CPU.*--cpulimit/,
      ),
    ]);
    expect(unmappedResourceNotes(config({ sched }))).toEqual([
      expect.stringMatching(/without sched_hard only lowered the guest's priority past 25% of a CPU; .*CPUUNITS/),
    ]);
  });
  it("names the deprecated schedule file and per-CPU settings it leaves out", () => {
    const notes = unmappedResourceNotes(
      config({
        sched: { ...sched, tokens: "100", "idle-time": "" },
        schedSource: "schedule",
        schedPerCpu: ["0"],
        flags: ["sched_hard"],
        cpusetCpus: "0",
      }),
    );
    expect(notes).toEqual([
      "schedule (deprecated file): tokens=100, idle-time: token-bucket details with no vzctl counterpart",
      "sched/0: per-CPU scheduler settings are not carried over",
    ]);
  });
});
