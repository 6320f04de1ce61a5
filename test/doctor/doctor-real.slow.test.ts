import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildHostDoctor } from "../../src/pipelines/host-doctor/pipeline.js";
import { KNOWN_END, kvmSmokeCommand, newestKernel } from "../../src/steps/host-doctor/kvm-smoke.js";
import { runLocal } from "../image/run-local.js";
import { REAL_HOST_TEST_TIMEOUT } from "../support/timeouts.js";

// Runs the doctor on this very machine and checks each answer against the test's own reading of the system.
describe("host doctor on this machine", { timeout: REAL_HOST_TEST_TIMEOUT }, () => {
  it(
    "reports what /proc/cpuinfo, /dev/kvm, /proc/meminfo and /sys/kernel/mm/ksm say",
    async () => {
      const { outcome } = await runLocal(
        buildHostDoctor(),
        { uri: "qemu:///system", bridge: "br0", enableKsm: false, openvz: null },
        "dry-run",
      );
      const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
      const flagLines = cpuinfo.split("\n").filter((l) => l.startsWith("flags"));
      const hasVmx = flagLines.every((l) => / vmx( |$)/.test(l));
      const hasSvm = flagLines.every((l) => / svm( |$)/.test(l));
      const v = outcome.probes.virtualization?.facts ?? {};
      expect(v.flag).toBe(hasVmx ? "vmx" : hasSvm ? "svm" : null);
      expect(v.cpus).toBe(cpuinfo.split("\n").filter((l) => /^processor\s*:/.test(l)).length);

      // KVM: the test boots the same kernel to its known end itself and expects the same verdict.
      let ownVerdict: string;
      const kernel = newestKernel(readdirSync("/boot").join("\n"));
      if (!existsSync("/dev/kvm") || !kernel) ownVerdict = "unavailable";
      else {
        // Under working KVM the boot ends in seconds: one not over in 30 s is the hang the doctor names.
        const boot = spawnSync("sh", ["-c", `exec ${kvmSmokeCommand(kernel)}`], { encoding: "utf8", timeout: 30_000 });
        ownVerdict = boot.status === 0 && boot.stdout.includes(KNOWN_END) ? "ok" : "failed";
      }
      expect(v.kvm).toBe(ownVerdict);
      expect(outcome.findings.some((f) => f.blocks && f.title === "KVM cannot run guests here")).toBe(
        ownVerdict !== "ok",
      );
      expect(outcome.status).toBe(ownVerdict === "ok" ? "dry-run" : "blocked");

      const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"))![1]) * 1024;
      expect(outcome.probes.memory?.facts?.hostBytes).toBe(memTotal);

      const ksmRun = Number(readFileSync("/sys/kernel/mm/ksm/run", "utf8"));
      const sharing = Number(readFileSync("/sys/kernel/mm/ksm/pages_sharing", "utf8"));
      expect(outcome.probes.ksm?.facts).toMatchObject({ run: ksmRun });
      expect(Math.abs(Number(outcome.probes.ksm?.facts?.pagesSharing) - sharing)).toBeLessThanOrEqual(
        Math.max(64, sharing * 0.1),
      );
      expect(outcome.findings.some((f) => f.title === "KSM is off")).toBe(ksmRun !== 1);

      const bridge = existsSync("/sys/class/net/br0/bridge");
      expect(outcome.probes.libvirt?.facts?.bridgePresent).toBe(bridge);
      const bridges = readdirSync("/sys/class/net").filter((n) => existsSync(`/sys/class/net/${n}/bridge`));
      expect(bridges.includes("br0")).toBe(bridge);
    },
    REAL_HOST_TEST_TIMEOUT,
  );
});
