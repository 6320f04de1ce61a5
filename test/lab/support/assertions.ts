import { posix } from "node:path";
import { expect } from "vitest";
import type { Lab } from "../../../src/lab/lab.js";
import { LAB_DB, LAB_NET } from "../../../src/lab/recipe.js";
import { debian } from "../../../src/distro/debian.js";
import { COMMON_EXCLUDES } from "../../../src/steps/rsync/excludes.js";
import { collectManifest, compareManifests, setApartChangedSince } from "./manifest.js";
import type { CliEvent } from "./run-cli.js";
import type { DbWriter } from "./writer.js";

/**
 * Paths the manifest comparison leaves out beyond the pipeline's own excludes, each for a reason that
 * the migration's design implies (the copy is a point in time; the target then changes on purpose).
 */
export const MANIFEST_EXCLUDES: Array<{ path: string; reason: string }> = [
  {
    path: "/var/lib/mysql",
    reason: "the database ran on both sides after the final pass; its rows are compared instead",
  },
  { path: "/var/log", reason: "both hosts kept logging after the copy" },
  { path: "/var/lib/systemd", reason: "systemd's runtime state (random seed, timer stamps) changes on each host" },
  { path: "/var/tmp", reason: "scratch space of running services" },
  { path: "/var/cache", reason: "apt and ldconfig caches change when the target installs its kernel" },
  { path: "/var/lib/apt", reason: "the target refreshed its package lists for the kernel install" },
  { path: "/var/lib/dpkg", reason: "the target's package database gains the kernel packages (asserted separately)" },
  { path: "/var/lib/ucf", reason: "configuration registry of packages installed on the target after the copy" },
  { path: "/var/lib/initramfs-tools", reason: "state of the target's kernel install" },
  { path: "/etc/ld.so.cache", reason: "rebuilt by ldconfig when the target installs packages" },
  { path: "/etc/network", reason: "the network fix-up gives the VM its own configuration (asserted separately)" },
  { path: "/etc/hosts", reason: "the network fix-up rewrites the venet address lines" },
  { path: "/etc/resolv.conf", reason: "the network fix-up keeps the VM's resolver configuration" },
  { path: "/etc/group", reason: "packages the kernel install pulled in add system groups (checked: only additions)" },
  { path: "/etc/group-", reason: "backup of /etc/group written by those packages' scripts" },
  { path: "/etc/gshadow", reason: "same groups, shadow file" },
  { path: "/etc/gshadow-", reason: "backup of /etc/gshadow" },
  { path: "/root/.ssh", reason: "the migration key is added and removed again; checked by logging in" },
  { path: "/vmlinuz*", reason: "boot symlinks made by the target's kernel install (linux-base)" },
  { path: "/initrd.img*", reason: "boot symlinks made by the target's kernel install (linux-base)" },
];

/**
 * The reboot check compared the VM with what was captured before the copy and at the freeze: each
 * comparison is there and passed. Every check is printed, so a lab run shows what each one saw.
 */
export function assertRebootComparisons(events: CliEvent[]): void {
  const end = events.find((e) => e.type === "step-end" && e.stepId === "reboot-verify");
  if (!end) return; // a run that stopped before the reboot: nothing was compared
  const checks = (Array.isArray(end?.checks) ? end.checks : []) as Array<{
    name: string;
    ok: boolean;
    detail?: string;
  }>;
  console.log(
    `reboot-verify checks:\n${checks.map((c) => `  ${c.ok ? "ok" : "FAILED"}: ${c.name}: ${c.detail ?? ""}`).join("\n")}`,
  );
  for (const name of [
    "addresses on ens3",
    "default route",
    "name resolution",
    "no newly failed unit",
    "services of the source active",
    `rows in database ${LAB_DB.database}`,
  ])
    expect(checks.find((c) => c.name === name)?.ok, `reboot-verify check "${name}" passed`).toBe(true);
}

/** Everything the issue asks of a finished migration. */
export async function assertMigrated(
  lab: Lab,
  opts: { bootIdBefore: string; facts: Record<string, unknown>; events: CliEvent[]; writer?: DbWriter },
): Promise<void> {
  assertRebootComparisons(opts.events);
  // 1. The VM answers with the source's host keys; its own old keys are refused now.
  const vm = lab.targetWithSourceKeys;
  const bootId = (await vm.run("cat /proc/sys/kernel/random/boot_id")).trim();
  expect(bootId).not.toBe(opts.bootIdBefore);
  const stale = await lab.target.exec("true");
  expect(stale.code).not.toBe(0);
  // ...and it really rebooted after the kernel install (its boot time is after that step ended)
  const kernelEnd = opts.events.find((e) => e.type === "step-end" && e.stepId === "kernel-install");
  expect(kernelEnd).toBeDefined();
  const btime = Number(/^btime (\d+)$/m.exec(await vm.run("cat /proc/stat"))?.[1]);
  expect(btime * 1000).toBeGreaterThan(Date.parse(String(kernelEnd!.at)) - 2000);

  // 2. Its network configuration is its own: ens3 with its address, nothing of venet left.
  const net = await vm.run(
    "cat /etc/network/interfaces; ls /etc/network/interfaces.d/ 2>/dev/null; ip -o link; ip -o -4 addr show",
  );
  expect(net).toContain("ens3");
  expect(net).toContain(LAB_NET.vmAddress);
  expect(net).not.toMatch(/venet/);

  // 3. The package database owns the running kernel.
  const kernel = await vm.run(
    `r=$(uname -r); dpkg-query -W -f='\${Status}' "linux-image-$r"; echo; dpkg -S "/boot/vmlinuz-$r"; test -d "/usr/lib/modules/$r" && echo modules-ok`,
  );
  expect(kernel).toMatch(/^install ok installed$/m);
  expect(kernel).toMatch(/^linux-image-.*: \/boot\/vmlinuz-/m);
  expect(kernel).toContain("modules-ok");

  // 4. MariaDB is active and holds every seeded row and every row acknowledged before the freeze.
  expect((await vm.run("systemctl is-active mariadb")).trim()).toBe("active");
  const ids = new Set(
    (await vm.run(`mariadb -N -e 'SELECT id FROM ${LAB_DB.database}.${LAB_DB.table}'`))
      .split("\n")
      .filter(Boolean)
      .map(Number),
  );
  for (let id = 1; id <= LAB_DB.seedRows; id++) expect(ids.has(id), `seed row ${id}`).toBe(true);
  const databases = opts.facts["databases"] as
    | {
        stoppedAt?: string;
        allStoppedAt?: string;
        thawStartedAt?: string;
        startedOnSourceAt?: string;
        leftStoppedOnSource?: boolean;
        cutoverAt?: string;
      }
    | undefined;
  expect(databases?.stoppedAt).toBeDefined();
  // A cutover plan leaves the source's databases stopped for good once the VM proved itself; any other
  // plan starts them again right after the final pass.
  const cutOver = databases?.leftStoppedOnSource === true;
  if (cutOver) expect(databases?.cutoverAt, "a cutover plan's run ends with the cutover").toBeDefined();
  else expect(databases?.startedOnSourceAt).toBeDefined();
  if (opts.writer) {
    const frozenAt = Date.parse(databases!.stoppedAt!);
    expect(
      opts.writer.acked.filter((a) => a.at < frozenAt).length,
      "rows acknowledged before the freeze",
    ).toBeGreaterThan(0);
    // Every row acknowledged until the source's database came back must be on the target: a row the
    // source accepted during the freeze (say, socket activation restarting it) would be a lost write.
    // The 2 s margin covers the time between the database being up again and the journal noting it.
    const thawedAt = cutOver ? Infinity : Date.parse(databases!.startedOnSourceAt!) - 2000;
    // The freeze itself must hold: from the moment every database unit was seen stopped until the thaw
    // was sent, the source acknowledges nothing. The writer reconnects every 0.1 s, so a socket or any other
    // unit that starts the database again during the freeze shows here on every run, not by luck.
    const allStoppedAt = Date.parse(databases!.allStoppedAt!);
    const thawStartedAt = cutOver ? Infinity : Date.parse(databases!.thawStartedAt!);
    expect(thawStartedAt).toBeGreaterThan(allStoppedAt);
    const duringFreeze = opts.writer.acked.filter((a) => a.at > allStoppedAt && a.at < thawStartedAt).map((a) => a.id);
    expect(duringFreeze, "rows the source acknowledged while its database was meant to be stopped").toEqual([]);
    const lost = opts.writer.acked.filter((a) => a.at < thawedAt && !ids.has(a.id)).map((a) => a.id);
    expect(lost, "acknowledged rows missing on the target").toEqual([]);
    // no phantom rows: everything on the target was seeded or sent by the writer
    const sent = new Set([...opts.writer.acked.map((a) => a.id), ...opts.writer.unknown]);
    const phantom = [...ids].filter((id) => id > LAB_DB.seedRows && !sent.has(id));
    expect(phantom).toEqual([]);
  }

  // 5. The freeze window is in the journal and in the report.
  expect(typeof opts.facts["freezeWindowSec"]).toBe("number");
  expect(opts.facts["freezeWindowSec"] as number).toBeGreaterThan(0);
  const freezeLine = opts.events.find((e) => e.type === "output" && /freeze window: [\d.]+ s/.test(String(e.line)));
  expect(freezeLine).toBeDefined();
}

/**
 * The source tree equals the target's outside the pipeline's excludes and the documented ones above. The source
 * runs on after the final pass: what it changed since the freeze began (`facts`: databases.allStoppedAt) cannot be
 * on the target and is only listed. A lab run across midnight failed on the source's daily dpkg-db-backup, which
 * wrote /var/backups/*.0 after the copy; anything older the target lacks still fails.
 */
export async function assertTreesMatch(lab: Lab, facts: Record<string, unknown>): Promise<void> {
  const freezeBegan = (facts["databases"] as { allStoppedAt?: string } | undefined)?.allStoppedAt;
  expect(freezeBegan, "the journal says when the freeze began").toBeDefined();

  const prune = [...COMMON_EXCLUDES, ...debian.excludes, ...MANIFEST_EXCLUDES].map((e) => e.path);
  const [source, target] = await Promise.all([
    collectManifest(lab.source, prune),
    collectManifest(lab.targetWithSourceKeys, prune),
  ]);
  expect(source.entries.size).toBeGreaterThan(10_000);
  const { afterCopy, ...diff } = setApartChangedSince(
    compareManifests(source, target),
    source,
    Date.parse(freezeBegan!),
  );
  if (afterCopy.length > 0)
    console.log(`  changed on the source after the freeze began (not expected on the target): ${afterCopy.join(", ")}`);
  // The target may hold more: the packages it installed for its kernel (and their directories).
  // groups: the target may only have added some
  const groups = async (host: typeof lab.source) =>
    new Set((await host.run("cat /etc/group")).split("\n").filter(Boolean));
  const [sourceGroups, targetGroups] = await Promise.all([groups(lab.source), groups(lab.targetWithSourceKeys)]);
  expect(
    [...sourceGroups].filter((g) => !targetGroups.has(g)),
    "source groups changed or missing on the target",
  ).toEqual([]);
  const allowedExtra = await packageFilesInstalledOnlyOnTarget(lab);
  // ...and the links their scripts made to those files (update-rc.d, deb-systemd-helper, alternatives)
  const extra = diff.extra.filter((p) => {
    let path = p;
    for (let hop = 0; hop < 5; hop++) {
      if (allowedExtra.has(path)) return false;
      const link = target.entries.get(path)?.link;
      if (!link) return true;
      path = posix.resolve(posix.dirname(path), link);
    }
    return true;
  });
  expect({ missing: diff.missing, different: diff.different, extra, linkGroups: diff.linkGroups }).toEqual({
    missing: [],
    different: [],
    extra: [],
    linkGroups: [],
  });
}

/**
 * Paths a package's maintainer scripts or its daemon create, which dpkg does not list as the package's:
 * allowed on the target only when that package is installed there and not on the source.
 */
const UNLISTED_PACKAGE_PATHS: Record<string, string[]> = {
  // postinst creates the empty AppArmor local override (and its directory); dhclient keeps its lease on ens3
  "isc-dhcp-client": [
    "/etc/apparmor.d/local",
    "/etc/apparmor.d/local/sbin.dhclient",
    "/var/lib/dhcp/dhclient.ens3.leases",
  ],
};

/** Paths owned by packages the target has and the source does not (the kernel and what it pulled in). */
async function packageFilesInstalledOnlyOnTarget(lab: Lab): Promise<Set<string>> {
  const list = "dpkg-query -W -f='${Package}\\n' | sort";
  const [onSource, onTarget] = await Promise.all([lab.source.run(list), lab.targetWithSourceKeys.run(list)]);
  const have = new Set(onSource.split("\n").filter(Boolean));
  const only = onTarget.split("\n").filter((p) => p && !have.has(p));
  if (only.length === 0) return new Set();
  const files = await lab.targetWithSourceKeys.run(`dpkg-query -L ${only.join(" ")} 2>/dev/null; true`);
  // Debian 12 packages list /lib, /bin, /sbin paths; on a merged-/usr root they live under /usr too
  const owned = new Set<string>();
  for (const path of files.split("\n").filter((l) => l.startsWith("/"))) {
    owned.add(path);
    if (/^\/(bin|sbin|lib|lib32|lib64|libx32)\//.test(path)) owned.add(`/usr${path}`);
  }
  for (const pkg of only) for (const path of UNLISTED_PACKAGE_PATHS[pkg] ?? []) owned.add(path);
  return owned;
}
