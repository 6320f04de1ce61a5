import { acknowledgeable, blocker, warning, type Finding } from "../../engine/finding.js";
import type { OvzBlockerId } from "../../plan/options/openvz-to-kvm.js";
import type { VerifyCheck } from "../../engine/step.js";
import type { FamilyKnowledge } from "../../distro/index.js";
import { readOptional, type Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import { readNetworkFiles } from "../network/network-files.js";
import { networkNeeds, NETWORK_NEED_PATHS } from "../network/network-clients.js";
import { fixEtcHosts, parseIpAddr } from "../network/etc-hosts.js";
import { parseSshdConfig } from "../ssh-access/sshd-config.js";
import { readSshdConfigExpanded } from "../ssh-access/sshd-includes.js";
import { missingListenAddresses, rootGroupsFrom, rootRefusals } from "../ssh-access/sshd-root-access.js";
import { BLKID_COMMAND, devicePathsToCheck, missingDevices, parseBlkidExport, parseFstab } from "../host/fstab.js";
import {
  builtinPaths,
  missingDrivers,
  modulesBuiltin,
  modulesInListing,
  parseRootMount,
  requiredDrivers,
  ROOT_MOUNT_COMMAND,
} from "../host/initramfs.js";
import { bootLoaderState, listEntriesCommand } from "../host/boot-loader.js";

export const SSHD_TEST_COMMAND = cmd("/usr/sbin/sshd", "-t");
export const GLOBAL_ADDRESSES_COMMAND = cmd("ip", "-o", "addr", "show", "scope", "global");

/** Something the pre-reboot check repairs itself (its run, behind a gate); the rest only blocks. */
export type ReadinessFix =
  | { kind: "etc-hosts"; why: string; content: string }
  | { kind: "initramfs" | "boot-loader"; why: string; command: string };

export interface Readiness {
  findings: Finding[];
  fixes: ReadinessFix[];
  /** One line per area, for verify and the gate; a failed one the plan may acknowledge names the blocker id. */
  checks: Array<VerifyCheck & { acknowledgeableAs?: OvzBlockerId }>;
}

export interface ReadinessInput {
  target: Host;
  source: Host;
  family: FamilyKnowledge;
  kernelRelease: string;
  /** /boot entries the VM had before the copy (did it boot through grub?). */
  bootFiles: string[];
  signal?: AbortSignal;
}

const first = (text: string, lines = 3): string => text.trim().split("\n").slice(-lines).join(" | ");

/**
 * Reads the migrated tree on the VM (still running its own kernel) and answers whether it will come
 * back after the reboot: network client, sshd, fstab devices, initramfs drivers, boot entry, /etc/hosts.
 */
export async function checkBootReadiness(input: ReadinessInput): Promise<Readiness> {
  const out: Readiness = { findings: [], fixes: [], checks: [] };
  const vmAddresses = parseIpAddr((await input.target.exec(GLOBAL_ADDRESSES_COMMAND, { signal: input.signal })).stdout);
  await checkNetwork(input, out);
  await checkSshd(
    input,
    vmAddresses.map((a) => a.address),
    out,
  );
  await checkFstab(input, out);
  await checkInitramfs(input, out);
  await checkBootLoader(input, out);
  await checkEtcHosts(input, vmAddresses, out);
  return out;
}

async function checkNetwork({ target, family, signal }: ReadinessInput, out: Readiness): Promise<void> {
  const files = await readNetworkFiles(target, family, signal);
  const present = new Set<string>();
  for (const path of NETWORK_NEED_PATHS) if (await target.stat(path)) present.add(path);
  const needs = networkNeeds(files, (paths) => paths.some((p) => present.has(p)));
  const missing = needs.filter((n) => !n.anyOf.some((p) => present.has(p)));
  for (const need of missing)
    out.findings.push(
      acknowledgeable(
        "network-client-missing" satisfies OvzBlockerId,
        blocker(
          "No network client for the restored config",
          `${need.by} needs ${need.what}, which the VM no longer has (the copy replaced its userland): it would boot without network and never answer`,
          need.remediation,
          "target",
        ),
      ),
    );
  out.checks.push({
    name: "the restored network config has its service and client",
    acknowledgeableAs: "network-client-missing",
    ok: missing.length === 0,
    detail:
      missing.map((n) => `${n.by}: no ${n.what}`).join("; ") ||
      needs.map((n) => n.what).join(", ") ||
      "no network config",
  });
}

async function checkSshd({ target, signal }: ReadinessInput, vmAddresses: string[], out: Readiness): Promise<void> {
  const test = await target.exec(SSHD_TEST_COMMAND, { signal });
  if (test.code !== 0)
    out.findings.push(
      blocker(
        "sshd rejects the migrated config",
        `sshd -t exited ${test.code}: ${first(test.stderr || test.stdout) || "no message"}; after the reboot no sshd would answer`,
        "correct the line sshd -t names in /etc/ssh/sshd_config on the target (the VM is still reachable), then run again",
        "target",
      ),
    );
  const text = await readSshdConfigExpanded(target, signal);
  const settings = parseSshdConfig(text ?? "");
  const absent = missingListenAddresses(settings, vmAddresses);
  for (const address of absent)
    out.findings.push(
      blocker(
        "sshd listens on an address the VM lacks",
        `the migrated sshd_config says ListenAddress ${address}, which is the container's, not the VM's (${vmAddresses.join(", ") || "no global address"}): sshd would not listen where the tool reconnects`,
        `remove ListenAddress ${address} from the target's sshd_config, or replace it with one of ${vmAddresses.join(", ") || "the VM's addresses"}`,
        "target",
      ),
    );
  const refusals = rootRefusals(settings, rootGroupsFrom(await readOptional(target, "/etc/group")));
  for (const r of refusals)
    out.findings.push(
      (r.certain ? blocker : warning)(
        "sshd shuts root out",
        `the migrated sshd_config: ${r.why}; after the reboot the tool's root key login would be refused${r.certain ? "" : " (depending on where it connects from)"}`,
        "allow root's key login for the migration in the target's sshd_config (PermitRootLogin prohibit-password, root in AllowUsers/AllowGroups), then run again",
        "target",
      ),
    );
  out.checks.push({
    name: "sshd accepts the migrated config and lets root in",
    ok: test.code === 0 && absent.length === 0 && !refusals.some((r) => r.certain),
    detail: [
      test.code === 0 ? "sshd -t passes" : `sshd -t exit ${test.code}`,
      ...absent.map((a) => `ListenAddress ${a} absent`),
      ...refusals.map((r) => r.why),
    ].join("; "),
  });
}

async function checkFstab({ target, signal }: ReadinessInput, out: Readiness): Promise<void> {
  const entries = parseFstab((await readOptional(target, "/etc/fstab")) ?? "");
  const blkid = await target.exec(BLKID_COMMAND, { signal });
  const devices = parseBlkidExport(blkid.stdout);
  const exists = new Set<string>();
  for (const path of devicePathsToCheck(entries, devices)) if (await target.stat(path)) exists.add(path);
  const missing = missingDevices(entries, devices, (p) => exists.has(p));
  for (const m of missing) {
    const summary = `/etc/fstab mounts ${m.entry.spec} on ${m.entry.mountPoint}, a device the VM does not have (blkid lists ${devices.map((d) => d.devname).join(", ") || "none"})`;
    out.findings.push(
      m.bootContinues
        ? warning(
            "fstab names a missing device",
            `${summary}; the boot goes on without it`,
            `remove or correct the line for ${m.entry.mountPoint} in the target's /etc/fstab`,
            "target",
          )
        : blocker(
            "fstab names a missing device",
            `${summary}: systemd would stop the boot in emergency mode`,
            `correct the line for ${m.entry.mountPoint} in the target's /etc/fstab (blkid on the target prints the right UUID) or add nofail, then run again`,
            "target",
          ),
    );
  }
  out.checks.push({
    name: "every fstab device exists on the VM",
    ok: missing.every((m) => m.bootContinues),
    detail:
      missing.map((m) => `${m.entry.spec} (${m.entry.mountPoint}) missing`).join("; ") || `${entries.length} entries`,
  });
}

async function checkInitramfs(
  { target, family, kernelRelease, signal }: ReadinessInput,
  out: Readiness,
): Promise<void> {
  const root = parseRootMount((await target.exec(ROOT_MOUNT_COMMAND, { signal })).stdout);
  if (!root) {
    out.findings.push(
      warning(
        "Root device unknown",
        "findmnt did not name the root's device: the initramfs drivers are not checked",
        undefined,
        "target",
      ),
    );
    return;
  }
  const listing = await target.exec(family.initramfsListCommand(kernelRelease), { signal });
  let builtinText = "";
  for (const path of builtinPaths(kernelRelease)) builtinText ||= (await readOptional(target, path)) ?? "";
  const missing =
    listing.code === 0
      ? missingDrivers(requiredDrivers(root), modulesInListing(listing.stdout), modulesBuiltin(builtinText))
      : requiredDrivers(root);
  if (missing.length > 0) {
    const command = family.initramfsRebuildCommand(
      kernelRelease,
      missing.map((n) => n.anyOf[0]!),
    );
    const why =
      listing.code === 0
        ? `the initramfs of ${kernelRelease} lacks ${missing.map((n) => `${n.anyOf.join(" or ")} (${n.why})`).join(", ")}`
        : `the initramfs of ${kernelRelease} cannot be read (${first(listing.stderr) || `exit ${listing.code}`})`;
    out.fixes.push({ kind: "initramfs", why, command });
    out.findings.push(
      warning(
        "Initramfs cannot mount the root",
        `${why}: the VM would stop at the initramfs prompt`,
        `rebuilt before the reboot: ${command}`,
        "target",
      ),
    );
  }
  out.checks.push({
    name: `the initramfs of ${kernelRelease} holds the disk and root-filesystem drivers`,
    ok: missing.length === 0,
    detail: missing.map((n) => n.anyOf.join("|")).join(", ") || `${root.source} ${root.fstype}`,
  });
}

async function checkBootLoader(
  { target, family, kernelRelease, bootFiles, signal }: ReadinessInput,
  out: Readiness,
): Promise<void> {
  const layout = family.bootLoader;
  const blsDir =
    layout.blsEntriesDir && (await target.stat(layout.blsEntriesDir))?.type === "dir" ? layout.blsEntriesDir : null;
  const blsEntries = blsDir
    ? (await target.exec(listEntriesCommand(blsDir), { signal })).stdout
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean)
    : null;
  const state = bootLoaderState(layout, kernelRelease, {
    blsEntries,
    grubConfig: await readOptional(target, layout.grubConfig),
  });
  const hadGrub = bootFiles.some((f) => f === "grub" || f === "grub2" || f === "loader");
  if (!state && !hadGrub) {
    out.checks.push({
      name: "the boot loader names the kernel",
      ok: true,
      detail: "no grub config and none before the copy (the VM boots its kernel directly?)",
    });
    return;
  }
  const regenerate = state?.regenerate ?? layout.regenerateGrub;
  if (!state?.namesKernel) {
    const why = state ? `${state.place} does not name ${kernelRelease}` : `${layout.grubConfig} is missing`;
    out.fixes.push({ kind: "boot-loader", why, command: regenerate });
    out.findings.push(
      warning(
        "Boot loader does not name the kernel",
        `${why}: grub would boot another kernel or none`,
        `regenerated before the reboot: ${regenerate}`,
        "target",
      ),
    );
  }
  out.checks.push({
    name: "the boot loader names the kernel",
    ok: !!state?.namesKernel,
    detail: state
      ? `${state.place}${state.namesKernel ? ` names ${kernelRelease}` : " lacks it"}`
      : `${layout.grubConfig} missing`,
  });
}

async function checkEtcHosts(
  { target, source, signal }: ReadinessInput,
  vm: ReturnType<typeof parseIpAddr>,
  out: Readiness,
): Promise<void> {
  const hostname = ((await readOptional(target, "/etc/hostname")) ?? "").trim();
  const hosts = await readOptional(target, "/etc/hosts");
  const container = await source.exec(GLOBAL_ADDRESSES_COMMAND, { signal });
  const fix =
    hostname && hosts !== null && container.code === 0
      ? fixEtcHosts(
          hosts,
          hostname,
          parseIpAddr(container.stdout).map((a) => a.address),
          vm,
        )
      : null;
  if (fix) {
    const why = `/etc/hosts maps ${hostname} to the container's address (${fix.changes.join("; ")})`;
    out.fixes.push({ kind: "etc-hosts", why, content: fix.content });
    out.findings.push(
      warning(
        "/etc/hosts names the container's address",
        `${why}: on the VM the host would resolve its own name to an address it no longer has`,
        "rewritten before the reboot (the old file is kept in the backup folder)",
        "target",
      ),
    );
  }
  out.checks.push({
    name: "/etc/hosts maps the hostname to the VM",
    ok: !fix,
    detail: fix ? fix.changes.join("; ") : hostname || "no /etc/hostname",
  });
}
