import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { ScriptedHost, type ScriptedReply } from "../../src/hosts/scripted-host.js";
import { judgeKernelBoot, kvmSmokeCommand, kvmSmokeTest, newestKernel } from "../../src/steps/host-doctor/kvm-smoke.js";

// Real outputs captured on the development machine (fixtures/kvm/README.md, kvm-smoke/).
const fx = (name: string): Promise<string> => readFile(`fixtures/kvm/kvm-smoke/${name}`, "utf8");
const SMOKE = /^timeout --foreground --kill-after=5 60 qemu-system-x86_64 -accel kvm -cpu host /;

async function hostWhereQemuAnswers(reply: ScriptedReply): Promise<ScriptedHost> {
  const host = new ScriptedHost("local");
  host.putFile("/dev/kvm", "", { mode: 0o660 });
  host.on("command -v qemu-system-x86_64", { stdout: "/usr/bin/qemu-system-x86_64\n" });
  host.on("ls -1 /boot", { stdout: await fx("ls-boot.txt") });
  host.on(SMOKE, reply);
  return host;
}

describe("KVM smoke test: a kernel booted to a known end", () => {
  it("boots the newest /boot kernel with -cpu host, no disk, and panic=-1 so that QEMU exits by itself", async () => {
    expect(newestKernel(await fx("ls-boot.txt"))).toBe("/boot/vmlinuz-6.1.0-57-amd64");
    expect(newestKernel("vmlinuz-6.1.0-9-amd64\nvmlinuz-6.1.0-10-amd64\nvmlinuz\ninitrd.img-6.1.0-10-amd64\n")).toBe(
      "/boot/vmlinuz-6.1.0-10-amd64",
    );
    expect(kvmSmokeCommand("/boot/vmlinuz-6.1.0-57-amd64")).toBe(
      "timeout --foreground --kill-after=5 60 qemu-system-x86_64 -accel kvm -cpu host -machine pc -m 128 -nodefaults -display none -nic none -no-reboot -monitor none -serial stdio -kernel /boot/vmlinuz-6.1.0-57-amd64 -append 'console=ttyS0 panic=-1'",
    );
  });

  it("KVM works only when the kernel's root-mount panic is on the console and QEMU exited 0", async () => {
    const host = await hostWhereQemuAnswers({ code: 0, stdout: await fx("kernel-boot-console.stdout") });
    expect(await kvmSmokeTest(host)).toEqual({
      result: "ok",
      detail: expect.stringMatching(/booted under KVM .* to its expected end/),
      bootedMs: expect.any(Number),
    });
    expect(host.mutations).toEqual([]);
  });

  it("a guest that runs but never reaches its end (the hang libguestfs met) fails, where a survival check would have passed", async () => {
    const host = await hostWhereQemuAnswers({ code: 124, stderr: await fx("stopped-by-timeout.stderr") });
    const smoke = await kvmSmokeTest(host);
    expect(smoke.result).toBe("failed");
    expect(smoke.detail).toBe(
      "a Linux kernel under KVM (-cpu host) did not reach its end within 60 s (no console output): KVM starts guests here but does not run them to completion",
    );
    // Half a boot on the console is named, so the user sees how far it got.
    const half = (await fx("kernel-boot-console.stdout")).split("\n").slice(0, 3).join("\n");
    expect(judgeKernelBoot({ code: 124, stdout: half, stderr: "" }).detail).toMatch(
      /last console line: "BIOS-provided physical RAM map:"/,
    );
  });

  it("a guest whose console stays silent is stopped after 20 s, not 60, and fails saying so", async () => {
    let asked: number | undefined;
    const host = await hostWhereQemuAnswers({ code: 0 });
    host.on(SMOKE, (_command, _host, options) => {
      asked = options?.silenceTimeoutMs;
      return { code: 124, stderr: "" };
    });
    await kvmSmokeTest(host);
    expect(asked).toBe(20_000);
    expect(judgeKernelBoot({ code: -1, stdout: "", stderr: "", silentMs: 20_004 })).toEqual({
      result: "failed",
      detail:
        "a Linux kernel under KVM (-cpu host) printed nothing for 20 s (no console output at all): KVM starts guests here but does not run them",
    });
  });

  it("QEMU that cannot start KVM fails with its own words", async () => {
    const host = await hostWhereQemuAnswers({ code: 1, stderr: await fx("no-dev-kvm.stderr") });
    expect(await kvmSmokeTest(host)).toEqual({
      result: "failed",
      detail:
        "QEMU with -accel kvm -cpu host exited 1: Could not access KVM kernel module: No such file or directory | qemu-system-x86_64: -accel kvm: failed to initialize kvm: No such file or directory",
      bootedMs: expect.any(Number),
    });
  });

  it("QEMU exiting 0 without the kernel's end on the console is not success", () => {
    expect(judgeKernelBoot({ code: 0, stdout: "", stderr: "" }).result).toBe("failed");
  });

  it("without a kernel in /boot there is nothing to test with, and it says what to install", async () => {
    const host = await hostWhereQemuAnswers({ code: 0 });
    host.on("ls -1 /boot", { stdout: "grub\n" });
    expect(await kvmSmokeTest(host)).toMatchObject({
      result: "unavailable",
      detail: expect.stringMatching(/apt-get install linux-image-amd64/),
    });
  });
});
