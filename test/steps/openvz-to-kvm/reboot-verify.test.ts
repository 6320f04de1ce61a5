import { describe, expect, it } from "vitest";
import type { VerifyCheck } from "../../../src/engine/step.js";
import { captureTarget } from "../../../src/steps/openvz-to-kvm/capture-target.js";
import { dbFreeze } from "../../../src/steps/openvz-to-kvm/db-freeze.js";
import { FACT } from "../../../src/steps/openvz-to-kvm/plan.js";
import { rebootVerify } from "../../../src/steps/openvz-to-kvm/reboot-verify.js";
import { rsyncStep } from "../../../src/steps/openvz-to-kvm/rsync-step.js";
import { loadPair, PAIRS } from "../../pipelines/openvz-to-kvm/harness.js";
import { simulate } from "../../pipelines/openvz-to-kvm/simulate.js";
import { stepContext } from "../context.js";

/** The Debian pair copied, frozen and rebooted on scripted hosts; a test then changes what the VM answers. */
async function rebooted(pair: keyof typeof PAIRS = "debian") {
  const { plan, source, target } = await loadPair(PAIRS[pair].plan, { maxLivePasses: 1 });
  const state = simulate(source, target, { family: PAIRS[pair].family, kernel: PAIRS[pair].kernel, passBytes: [0] });
  const { ctx, facts, output } = stepContext(plan, { source, target });
  await captureTarget.run(ctx, (await captureTarget.probe(ctx)).plan);
  await rsyncStep.run(ctx, (await rsyncStep.probe(ctx)).plan);
  await dbFreeze.run(ctx, (await dbFreeze.probe(ctx)).plan);
  await rebootVerify.run(ctx, (await rebootVerify.probe(ctx)).plan);
  const verify = async (): Promise<Map<string, VerifyCheck>> =>
    new Map((await rebootVerify.verify(ctx)).checks.map((c) => [c.name, c]));
  return { ctx, facts, output, state, source, target, verify };
}

// ip -j addr of the VM after a boot where its NIC came up as eth0 (net.ifnames=0 or udev rules from the container).
const RENAMED = `[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","operstate":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00","addr_info":[]},{"ifindex":2,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"fq_codel","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether","address":"52:54:00:12:34:56","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[{"family":"inet","local":"198.18.20.11","prefixlen":24,"broadcast":"198.18.20.255","scope":"global","label":"eth0","valid_life_time":4294967295,"preferred_life_time":4294967295},{}]}]\n`;
const OTHER_ADDRESS = RENAMED.replace(/eth0/g, "ens3")
  .replace("198.18.20.11", "198.18.20.99")
  .replace("198.18.20.255", "198.18.20.255");

describe("reboot-verify compares the VM with what it was", () => {
  it("passes when the VM is back as it was: each comparison says what it expected and saw", async () => {
    const { verify } = await rebooted();
    const checks = await verify();
    expect(checks.get("addresses on ens3")).toEqual({
      name: "addresses on ens3",
      ok: true,
      detail: "expected 198.18.20.11/24 on ens3; seen 198.18.20.11/24 on ens3",
    });
    expect(checks.get("default route")?.detail).toBe(
      "expected via 198.18.20.1 dev ens3; seen via 198.18.20.1 dev ens3",
    );
    expect(checks.get("name resolution")?.detail).toMatch(
      /^expected deb\.debian\.org resolves .*; seen 198\.18\.30\.132$/,
    );
    // the source's failed socket (a container has no audit) is in the "already failed" set
    expect(checks.get("no newly failed unit")).toMatchObject({ ok: true });
    expect(checks.get("no newly failed unit")?.detail).toContain("systemd-journald-audit.socket");
    expect(checks.get("services of the source active")).toMatchObject({ ok: true });
    expect(checks.get("source services not expected on the VM")?.detail).toMatch(/^user@0\.service: .*logged in/);
    // rows written after the count reached the VM: at least as many, never fewer
    expect(checks.get("rows in database lab")?.detail).toBe(
      "expected at least the rows counted at the freeze in each of its 1 table; seen acks 500 -> 501",
    );
    expect(checks.get("rows in database shop")).toMatchObject({ ok: true });
    expect([...checks.values()].filter((c) => !c.ok)).toEqual([]);
  });

  it("fails when the NIC came back under another name, saying where to look", async () => {
    const { target, verify } = await rebooted();
    target.on("ip -j addr show scope global", { stdout: RENAMED });
    const check = (await verify()).get("addresses on ens3");
    expect(check?.ok).toBe(false);
    expect(check?.detail).toMatch(
      /seen no global address on ens3 \(all: 198\.18\.20\.11\/24 on eth0\); look at `ip -br link`/,
    );
  });

  it("fails when a static address is not back", async () => {
    const { target, verify } = await rebooted();
    target.on("ip -j addr show scope global", { stdout: OTHER_ADDRESS });
    const check = (await verify()).get("addresses on ens3");
    expect(check?.ok).toBe(false);
    expect(check?.detail).toMatch(
      /seen 198\.18\.20\.99\/24 on ens3; missing 198\.18\.20\.11\/24; look at the network config/,
    );
  });

  it("fails when the default route goes elsewhere", async () => {
    const { target, verify } = await rebooted();
    target.on("ip -j route show default", {
      stdout: '[{"dst":"default","gateway":"198.18.20.254","dev":"ens3","flags":[]}]\n',
    });
    const check = (await verify()).get("default route");
    expect(check).toMatchObject({ ok: false });
    expect(check?.detail).toMatch(/^expected via 198\.18\.20\.1 dev ens3; seen via 198\.18\.20\.254 dev ens3; look at/);
  });

  it("fails when the name it resolved before the copy no longer resolves", async () => {
    const { target, verify } = await rebooted();
    target.on("getent ahosts deb.debian.org", { code: 2 });
    const check = (await verify()).get("name resolution");
    expect(check?.ok).toBe(false);
    expect(check?.detail).toMatch(/seen no answer; look at \/etc\/resolv\.conf/);
  });

  it("says it did not check the name when nothing resolved before the copy", async () => {
    const { plan, source, target } = await loadPair(PAIRS.debian.plan, { maxLivePasses: 1 });
    simulate(source, target, { family: "debian", kernel: PAIRS.debian.kernel, passBytes: [0] });
    target.on("getent ahosts deb.debian.org", { code: 2 });
    target.on("getent ahosts security.debian.org", { code: 2 });
    const { ctx } = stepContext(plan, { source, target });
    await captureTarget.run(ctx, (await captureTarget.probe(ctx)).plan);
    const check = (await rebootVerify.verify(ctx)).checks.find((c) => c.name === "name resolution");
    expect(check).toEqual({
      name: "name resolution",
      ok: true,
      detail: "not checked: nothing resolved before the copy (tried deb.debian.org, security.debian.org)",
    });
  });

  it("fails on a unit that failed neither on the VM before the copy nor on the source before the freeze", async () => {
    const { target, verify } = await rebooted();
    target.on("systemctl --failed --plain --no-legend", {
      stdout:
        "ifup@ens3.service             loaded failed failed ifup for ens3\nsystemd-journald-audit.socket loaded failed failed Journal Audit Socket\n",
    });
    const check = (await verify()).get("no newly failed unit");
    expect(check?.ok).toBe(false);
    expect(check?.detail).toMatch(/; new: ifup@ens3\.service; look at `systemctl status ifup@ens3\.service`/);
  });

  it("fails naming a service that ran on the source and does not on the VM", async () => {
    const { state, verify } = await rebooted();
    state.units.target.set("crond.service", false);
    const check = (await verify()).get("services of the source active");
    expect(check?.ok).toBe(false);
    expect(check?.detail).toMatch(
      /seen not active: crond\.service \(inactive\); look at `systemctl status crond\.service`/,
    );
  });

  it("fails naming the table and both counts when the VM has fewer rows than counted at the freeze", async () => {
    const { state, verify } = await rebooted();
    state.rows.target.set("lab.acks", 477);
    state.rows.target.delete("shop.orders");
    const checks = await verify();
    expect(checks.get("rows in database lab")).toMatchObject({ ok: false });
    expect(checks.get("rows in database lab")?.detail).toContain("seen acks: 477 rows on the VM, 500 at the freeze");
    expect(checks.get("rows in database shop")?.detail).toContain("orders: missing on the VM (42 rows at the freeze)");
  });

  it("fails when the VM's database cannot be read", async () => {
    const { state, verify } = await rebooted();
    state.units.target.set("mariadb.service", false);
    const check = (await verify()).get("rows of mariadb.service");
    expect(check?.ok).toBe(false);
    expect(check?.detail).toMatch(/seen the client failed: ERROR 2002 .*; look at `systemctl status mariadb\.service`/);
  });

  it("counts the rows while the database still runs, just before the stop, with no password anywhere", async () => {
    const { source, facts, output } = await rebooted();
    const commands = source.log.flatMap((e) => (e.kind === "exec" ? [e.command] : []));
    const lastCount = commands.map((c) => c.startsWith("mariadb -N -B -e 'SELECT 0, COUNT(*)")).lastIndexOf(true);
    const stop = commands.findIndex((c) => c.startsWith("systemctl stop -- mariadb.service"));
    expect(lastCount).toBeGreaterThan(-1);
    expect(lastCount).toBeLessThan(stop);
    expect(commands.filter((c) => /^(mariadb|mysql) /.test(c)).join("\n")).not.toMatch(/ -p|--password|password=/);
    expect(JSON.stringify(facts[FACT.sourceAtFreeze])).not.toMatch(/password/i);
    expect(output.join("\n")).toContain("542 rows in 2 tables counted");
  });

  it("resumes a journal written before these captures: each comparison says it was not captured", async () => {
    const { facts, verify } = await rebooted();
    delete facts[FACT.vmBeforeCopy];
    delete facts[FACT.sourceAtFreeze];
    const checks = await verify();
    expect([...checks.values()].filter((c) => !c.ok)).toEqual([]);
    expect(checks.get("global address")?.detail).toMatch(/^expected a global address \(not captured before the copy/);
    expect(checks.get("name resolution")?.detail).toMatch(/^not checked: not captured before the copy/);
    expect(checks.get("no newly failed unit")?.detail).toMatch(/^not checked: the VM's failed units not captured/);
    expect(checks.get("services of the source active")?.detail).toMatch(/^not checked: not captured at the freeze/);
    expect(checks.get("table row counts")?.detail).toMatch(/^not checked: not captured at the freeze/);
  });
});
