import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { PipelineEvent } from "../../../src/engine/events.js";
import { exitCodeForRun } from "../../../src/exit-codes.js";
import { Journal } from "../../../src/journal/journal.js";
import { OVZ_FACTS } from "../../../src/steps/openvz-to-kvm/facts.js";
import { loadPair, PAIRS, runOvz } from "../../pipelines/openvz-to-kvm/harness.js";
import { simulate } from "../../pipelines/openvz-to-kvm/simulate.js";

const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

const APT =
  "DEBIAN_FRONTEND=noninteractive apt-get -y -o Dpkg::Options::=--force-confold -o Dpkg::Options::=--force-confdef install";

async function restoredFact(stateDir: string, name: string): Promise<unknown> {
  const journal = (await Journal.read(Journal.pathFor(stateDir, name)))!;
  return journal.facts[OVZ_FACTS.restoredPackages.key];
}

/** The probe of restore-vm-packages the gate showed last (the one `run` applied). */
function lastProbe(events: PipelineEvent[]): Extract<PipelineEvent, { type: "step-probed" }> {
  const probes = events.filter(
    (e): e is Extract<PipelineEvent, { type: "step-probed" }> =>
      e.type === "step-probed" && e.stepId === "restore-vm-packages",
  );
  return probes.at(-1)!;
}

function ranOn(host: { log: Array<{ kind: string; command?: string }> }, pattern: RegExp): string[] {
  return host.log.filter((l) => l.kind === "exec" && pattern.test(l.command ?? "")).map((l) => l.command!);
}

describe("restore-vm-packages puts back what the copy removed from the VM", () => {
  it("Debian: the DHCP client and the kernel metapackage come back; a package that would remove the container's is an exception", async () => {
    const { plan, source, target } = await loadPair(PAIRS.debian.plan, { skipPreUpdate: true });
    const state = simulate(source, target, { family: "debian", kernel: PAIRS.debian.kernel });
    const { outcome, events, stateDir } = await runOvz(plan, { source, target }, "yes");
    temps.push(stateDir);
    expect(outcome.message ?? "").toBe("");
    expect(exitCodeForRun(outcome)).toBe(0);

    // One install, exactly as the gate showed it: the VM's versions where offered, the candidate for the metapackage.
    const install = `${APT} isc-dhcp-client=4.4.3-P1-2 isc-dhcp-common=4.4.3-P1-2 linux-image-amd64`;
    const probe = lastProbe(events);
    expect(probe.commands.map((c) => c.command)).toEqual([install]);
    expect(ranOn(target, /apt-get -y .* install (?!linux-image-6)/)).toEqual([install]);
    // kernel-install's packages (the kernel, grub, udev, kmod, initramfs-tools) are its own: installed once, by it.
    expect(ranOn(target, /apt-get -y .* install /).join("\n")).not.toMatch(
      /install .*(grub|udev|kmod|initramfs).*linux-image-amd64/,
    );

    expect(state.packages.installed.get("isc-dhcp-client")?.version).toBe("4.4.3-P1-2");
    expect(state.packages.installed.get("linux-image-amd64")?.version).toBe("6.1.192-3");
    expect(state.packages.installed.has("ntpsec")).toBe(false);
    expect(state.packages.installed.has("systemd-timesyncd")).toBe(true);

    expect(probe.findings.map((f) => [f.title, f.summary, f.severity])).toEqual([
      [
        "Package not reinstalled: ntpsec",
        "the VM had ntpsec; installing it would remove systemd-timesyncd, which the container runs",
        "warning",
      ],
    ]);
    expect(await restoredFact(stateDir, plan.name!)).toEqual({
      at: expect.any(String),
      restored: [
        { name: "isc-dhcp-client", version: "4.4.3-P1-2" },
        { name: "isc-dhcp-common", version: "4.4.3-P1-2" },
        { name: "linux-image-amd64", version: null },
      ],
      exceptions: [
        { name: "ntpsec", reason: "installing it would remove systemd-timesyncd, which the container runs" },
      ],
      report: [
        "linux-image-amd64: the VM had 6.1.137-1, which no repository offers now; the candidate 6.1.192-3 is installed",
        "ntpsec: not reinstalled, installing it would remove systemd-timesyncd, which the container runs",
      ],
    });
    const verified = events.find((e) => e.type === "step-end" && e.stepId === "restore-vm-packages");
    expect(JSON.stringify(verified)).toContain("the 3 reinstalled package(s) are installed");
  });

  it("AlmaLinux: dnf reinstalls the DHCP client at its epoch-version; coreutils, which conflicts with the container's coreutils-single, is an exception with dnf's reason", async () => {
    const { plan, source, target } = await loadPair(PAIRS.alma.plan, { skipPreUpdate: true });
    const state = simulate(source, target, { family: "rhel", kernel: PAIRS.alma.kernel });
    const { outcome, events, stateDir } = await runOvz(plan, { source, target }, "yes");
    temps.push(stateDir);
    expect(outcome.message ?? "").toBe("");

    const install = "dnf -y install cloud-utils-growpart dhcp-client-12:4.3.6-49.el8 dhcp-common-12:4.3.6-49.el8";
    expect(lastProbe(events).commands.map((c) => c.command)).toEqual([install]);
    expect(ranOn(target, /^dnf -y install (?!kernel-)/)).toEqual([install]);
    expect(state.packages.installed.get("dhcp-client")?.version).toBe("12:4.3.6-49.el8");
    expect(state.packages.installed.get("cloud-utils-growpart")?.version).toBe("0.33-0.el8");
    expect(state.packages.installed.has("coreutils")).toBe(false);
    const fact = (await restoredFact(stateDir, plan.name!)) as { exceptions: unknown; report: string[] };
    expect(fact.exceptions).toEqual([
      {
        name: "coreutils",
        reason:
          "dnf refuses it: problem with installed package coreutils-single-8.30-15.el8.x86_64; package coreutils-8.30-15.el8.x86_64 conflicts with coreutils-single provided by coreutils-single-8.30-15.el8.x86_64",
      },
    ]);
    expect(fact.report).toContain(
      "cloud-utils-growpart: the VM had 0.31-3.el8, which no repository offers now; the candidate 0.33-0.el8 is installed",
    );
    // rpm's signing keys (gpg-pubkey) are in rpm -qa but are not packages to install.
    expect(ranOn(target, /gpg-pubkey/)).toEqual([]);
  });

  it("a resumed run probes again: the gate shows the plan for what is missing now, not the first run's", async () => {
    const { plan, source, target } = await loadPair(PAIRS.debian.plan, { skipPreUpdate: true });
    const state = simulate(source, target, { family: "debian", kernel: PAIRS.debian.kernel });
    const firstInstall = `${APT} isc-dhcp-client=4.4.3-P1-2 isc-dhcp-common=4.4.3-P1-2 linux-image-amd64`;
    target.on(
      firstInstall,
      {
        code: 100,
        stderr:
          "E: Failed to fetch http://198.18.1.1/debian/pool/main/i/isc-dhcp/isc-dhcp-common_4.4.3-P1-2_amd64.deb  Connection refused\n",
      },
      { mutates: true },
    );
    const first = await runOvz(plan, { source, target }, "yes");
    temps.push(first.stateDir);
    expect(exitCodeForRun(first.outcome)).toBe(1);
    expect(first.outcome.message).toMatch(/Reinstall the VM.s packages the copy removed: [^]*Connection refused/);

    // Between the runs the admin installs isc-dhcp-common by hand; the repositories answer for the smaller set.
    state.packages.installed.set("isc-dhcp-common", { name: "isc-dhcp-common", version: "4.4.3-P1-2", arch: "amd64" });
    const real = (f: string): string => readFileSync(`fixtures/hosts/debian-12-kvm-target/packages/${f}`, "utf8");
    target.on("apt-cache madison isc-dhcp-client linux-image-amd64 ntpsec", { stdout: real("madison-resume.txt") });
    target.on("apt-get install --simulate isc-dhcp-client=4.4.3-P1-2 linux-image-amd64 ntpsec=1.2.2+dfsg1-1+deb12u1", {
      stdout: real("simulate-resume-all.txt"),
    });
    const second = await runOvz(plan, { source, target }, "yes", first.stateDir);
    expect(exitCodeForRun(second.outcome)).toBe(0);
    const secondInstall = `${APT} isc-dhcp-client=4.4.3-P1-2 linux-image-amd64`;
    expect(lastProbe(second.events).commands.map((c) => c.command)).toEqual([secondInstall]);
    expect(ranOn(target, /apt-get -y .* install isc-dhcp/)).toEqual([firstInstall, secondInstall]);
    expect(
      ((await restoredFact(first.stateDir, plan.name!)) as { restored: Array<{ name: string }> }).restored.map(
        (p) => p.name,
      ),
    ).toEqual(["isc-dhcp-client", "linux-image-amd64"]);
  });
});
