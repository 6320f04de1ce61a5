import { describe, expect, it } from "vitest";
import { rememberingReads } from "../../../src/hosts/dry-run-reads.js";
import type { Host } from "../../../src/hosts/host.js";
import { loadScriptedHost } from "../../../src/hosts/scripted-fixture.js";
import { captureTarget } from "../../../src/steps/openvz-to-kvm/capture-target.js";
import { kernelInstall } from "../../../src/steps/openvz-to-kvm/kernel-install.js";
import { networkFixup } from "../../../src/steps/openvz-to-kvm/network-fixup.js";
import { rsyncStep } from "../../../src/steps/openvz-to-kvm/rsync-step.js";
import { readNetworkFile } from "../../../src/steps/network/network-files.js";
import { turnCountingHost, type AskedRead } from "../../support/turn-counting-host.js";
import { planFrom, stepContext } from "../context.js";

const DEBIAN = "fixtures/plans/ovz-kvm-debian-12.yaml";

/** The Debian pair as a dry run sees it: each read answered a turn after it was asked, repeats remembered. */
async function dryRunHosts() {
  const counted = {
    source: turnCountingHost(await loadScriptedHost("fixtures/hosts/debian-12-openvz-source", "source")),
    target: turnCountingHost(await loadScriptedHost("fixtures/hosts/debian-12-kvm-target", "target")),
  };
  const hosts: Record<string, Host> = {
    source: rememberingReads(counted.source.host),
    target: rememberingReads(counted.target.host),
  };
  return { hosts, source: counted.source.asked, target: counted.target.asked };
}

const turnOf = (asked: AskedRead[], what: RegExp): number[] =>
  asked.filter((a) => what.test(a.what)).map((a) => a.turn);
const lastTurn = (asked: AskedRead[]): number => Math.max(0, ...asked.map((a) => a.turn));

// On the lab's TCG VM each round trip of a dry run waits behind the VM's other reads: the last probes to finish
// were chains of reads each waiting for the one before (issue 13's 3 s budget).
describe("a dry run's probes ask what they can together (round trips on a slow target)", () => {
  it("kernel-install: the running kernel with the release files, its file's stat with its owner: two round trips", async () => {
    const { hosts, target } = await dryRunHosts();
    const probe = await kernelInstall.probe(stepContext(await planFrom(DEBIAN), hosts).ctx);
    expect(probe.details).toContain("running kernel 6.1.0-35-amd64");
    expect(turnOf(target, /^exec uname -r$/)).toEqual([1]);
    expect(turnOf(target, /^read \/etc\/os-release$/)).toEqual([1]);
    expect(turnOf(target, /^stat \/boot\/vmlinuz-/)).toEqual([2]);
    expect(turnOf(target, /^exec dpkg -S /)).toEqual([2]);
    expect(lastTurn(target)).toBe(2);
  });

  it("a network file's stat and read go together, and a link's target is still what is kept", async () => {
    const { hosts, target } = await dryRunHosts();
    expect(await readNetworkFile(hosts.target!, "/etc/network/interfaces")).toMatchObject({
      path: "/etc/network/interfaces",
      content: expect.stringContaining("iface"),
    });
    expect(turnOf(target, /\/etc\/network\/interfaces$/)).toEqual([1, 1]);
    const capture = await captureTarget.probe(stepContext(await planFrom(DEBIAN), hosts).ctx);
    const resolvConf = turnOf(target, /^(stat|read) \/etc\/resolv\.conf$/);
    expect(resolvConf).toHaveLength(2);
    expect(resolvConf[0]).toBe(resolvConf[1]);
    expect(capture.plan?.identity.resolvConf).toMatchObject({ path: "/etc/resolv.conf" });
  });

  it("rsync: both ends' `rsync --version` in the probe's first round trip, not after the trees are measured", async () => {
    const { hosts, source, target } = await dryRunHosts();
    const probe = await rsyncStep.probe(stepContext(await planFrom(DEBIAN), hosts).ctx);
    expect(probe.plan.pass.compression.summary).toMatch(/zstd/);
    expect(turnOf(source, /^exec rsync --version$/)).toEqual([1]);
    expect(turnOf(target, /^exec rsync --version$/)).toEqual([1]);
  });

  it("network-fixup: the source's reads wait for nothing on the target: two round trips, the files after their listing", async () => {
    const { hosts, source } = await dryRunHosts();
    const probe = await networkFixup.probe(stepContext(await planFrom(DEBIAN), hosts).ctx);
    expect(probe.details?.join("\n")).toMatch(/network services to enable again: /);
    // the source's network files after their listing; the rest of its reads first, none after the target's
    expect(turnOf(source, /^exec find /)).toEqual([1]);
    expect(turnOf(source, /^(stat|read) \/etc\/network\/interfaces$/)).toEqual([2, 2]);
    expect(turnOf(source, /vzreboot$/)).toEqual([1, 1]);
    expect(turnOf(source, /^exec systemctl show /)).toEqual([1]);
    expect(turnOf(source, /^stat \/usr\/sbin\/netplan$/)).toEqual([1]);
    expect(turnOf(source, /^(stat|read) \/etc\/resolv\.conf$/)).toEqual([1, 1]);
    expect(lastTurn(source)).toBe(2);
  });
});
