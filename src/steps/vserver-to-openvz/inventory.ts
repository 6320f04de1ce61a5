import { posix } from "node:path";
import { blocker, warning, type Finding } from "../../engine/finding.js";
import type { PlannedCommand } from "../../engine/step.js";
import { readOptional, type Host } from "../../hosts/host.js";
import { cmd, raw, sh } from "../../hosts/quote.js";
import { activeAddresses, readVserverConfig, VserverConfigError } from "../../vserver/config.js";
import { mapVserverToCtidConf, unmappedSettings } from "../../vserver/ctid-conf-mapping.js";
import { LISTENERS_IN_GUEST, parseListeners, type Listener } from "../../vserver/listeners.js";
import { osTemplateFor, readGuestRelease } from "../../vserver/release.js";
import { TRANSIENT_PROCESSES } from "../../vserver/transient-processes.js";
import { substVeid, vzConfValues } from "../../openvz/vz-conf.js";
import type { Inventory, VsContext } from "./context.js";
import { sourceSshCheckCommand } from "./rsync.js";
import { parseDf } from "../host/df.js";
import { VS_FACTS } from "./facts.js";
import { madeByThisMigration } from "./made-on-node.js";
import { parseRsyncVersion, RSYNC_VERSION_COMMAND, type RsyncBuilds } from "../rsync/compression.js";
import { rsyncVersionFindings } from "../rsync/version-floor.js";

export interface Gathered {
  inventory: Inventory | null;
  findings: Finding[];
  commands: PlannedCommand[];
  /** What an earlier run of this migration explains (its own private area, the services it recorded), for the details. */
  notes: string[];
}

/** vzctl's stock vz.conf values, used when the node's vz.conf sets none. */
const DEFAULT_VE_PRIVATE = "/vz/private/$VEID";
const DEFAULT_VE_ROOT = "/vz/root/$VEID";

export const guestStatusCommand = (guest: string): string => cmd("vserver", guest, "status");
export const guestListenersCommand = (guest: string): string =>
  cmd("vserver", guest, "exec", "sh", "-c", LISTENERS_IN_GUEST);
export const guestProcessesCommand = (guest: string): string => cmd("vserver", guest, "exec", "ps", "-eo", "comm=");
/** Every IP_ADDRESS of every container config on the node (stopped containers included). */
export const nodeConfiguredIpsCommand = (vzConfDir: string): string =>
  sh`grep -sH ${"^IP_ADDRESS="} ${posix.join(vzConfDir, "conf")}${raw("/*.conf; true")}`;

/** `vserver NAME status` exits 0 "is running at context 'N'", 3 "is stopped" (util-vserver scripts/vserver). */
export async function guestRunning(host: Host, guest: string): Promise<boolean> {
  const result = await host.exec(guestStatusCommand(guest));
  if (result.code === 0) return true;
  if (result.code === 3) return false;
  throw new Error(`\`${guestStatusCommand(guest)}\` exited ${result.code}: ${(result.stderr || result.stdout).trim()}`);
}

/** Reads the guest and the node, read-only, and says what blocks the migration. */
export async function gatherInventory(ctx: VsContext): Promise<Gathered> {
  const { options } = ctx.plan;
  const source = ctx.host("source");
  const target = ctx.host("target");
  const findings: Finding[] = [];
  const commands: PlannedCommand[] = [];
  const notes: string[] = [];
  const run = async (host: Host, command: string, purpose: string) => {
    commands.push({ host: host.role, command, purpose });
    return host.exec(command);
  };

  let config;
  try {
    config = await readVserverConfig(source, options.vserversConfDir, options.guest);
  } catch (error) {
    if (!(error instanceof VserverConfigError)) throw error;
    findings.push(
      blocker(
        "VServer guest not found",
        error.message,
        `check options.guest and ${options.vserversConfDir} on the source`,
        "source",
      ),
    );
    return { inventory: null, findings, commands, notes };
  }

  const vzConfPath = posix.join(options.vzConfDir, "vz.conf");
  const vzConfText = await readOptional(target, vzConfPath);
  if (vzConfText === null) {
    findings.push(
      blocker(
        "Not an OpenVZ node",
        `${vzConfPath} does not exist on the target`,
        "install vzctl on the target (the OpenVZ node) first",
        "target",
      ),
    );
    return { inventory: null, findings, commands, notes };
  }
  const vz = vzConfValues(vzConfText);

  const ctid = options.ctid ?? (config.context !== undefined && config.context >= 101 ? config.context : undefined);
  if (ctid === undefined) {
    findings.push(
      blocker(
        "No container id",
        `the guest's context id (${config.context ?? "dynamic"}) cannot be a CTID (OpenVZ reserves 0-100)`,
        "set options.ctid in the plan",
        "target",
      ),
    );
    return { inventory: null, findings, commands, notes };
  }
  // CTID.conf keeps vz.conf's templates as vzctl create writes them; vzctl expands $VEID when it reads them.
  const privateTemplate = vz.VE_PRIVATE || DEFAULT_VE_PRIVATE;
  const rootTemplate = vz.VE_ROOT || DEFAULT_VE_ROOT;
  const privateDir = substVeid(privateTemplate, ctid);
  const rootDir = substVeid(rootTemplate, ctid);
  const confPath = posix.join(options.vzConfDir, "conf", `${ctid}.conf`);

  const taken = [
    { path: confPath, what: "config" },
    { path: privateDir, what: "copy" },
  ];
  for (const { path, what } of taken) {
    if ((await target.stat(path)) === null) continue;
    // A resumed migration finds what its first runs made: that is no other container's.
    if (madeByThisMigration(ctx, path))
      notes.push(`${path} exists: this migration's own ${what}, made by an earlier run (its journal records it)`);
    else
      findings.push(
        blocker(
          `CTID ${ctid} is taken`,
          `${path} already exists on the OpenVZ node`,
          "pick a free id with options.ctid (vzlist -a lists the used ones)",
          "target",
        ),
      );
  }

  const vzctl = await run(target, "command -v vzctl", "vzctl is installed on the node");
  if (vzctl.code !== 0)
    findings.push(
      blocker("vzctl missing", "the target has no vzctl in PATH", "install vzctl on the OpenVZ node", "target"),
    );
  const rsyncBuilds: RsyncBuilds = { source: null, target: null };
  for (const role of ["source", "target"] as const) {
    const host = ctx.host(role);
    const rsync = await run(host, "command -v rsync", "rsync is installed");
    if (rsync.code !== 0)
      findings.push(
        blocker(
          "rsync missing",
          `${host.role} has no rsync in PATH`,
          "install rsync (apt-get install rsync / yum install rsync)",
          host.role,
        ),
      );
    else {
      const version = await run(host, RSYNC_VERSION_COMMAND, "rsync is new enough for the copy's options");
      if (version.code === 0) rsyncBuilds[role] = parseRsyncVersion(version.stdout);
    }
  }
  findings.push(...rsyncVersionFindings(rsyncBuilds));

  const status = await run(source, guestStatusCommand(options.guest), "is the guest running");
  const running = status.code === 0;
  if (status.code !== 0 && status.code !== 3)
    findings.push(
      blocker(
        "Cannot ask util-vserver",
        `\`vserver ${options.guest} status\` exited ${status.code}: ${(status.stderr || status.stdout).trim()}`,
        undefined,
        "source",
      ),
    );
  // The services the start checks for are the ones an earlier run of this migration recorded, if one did.
  const journaled = ctx.facts.get(VS_FACTS.inventory);
  if (!running && journaled?.running)
    notes.push(`${options.guest} is stopped now; the start checks the services this migration recorded while it ran`);
  else if (!running)
    findings.push(
      warning(
        "Guest is stopped",
        `${options.guest} is not running: one stopped pass copies it, and no running services can be recorded to check later`,
      ),
    );

  const services: string[] = [];
  let listeners: Listener[] | undefined;
  if (running) {
    const ps = await run(
      source,
      guestProcessesCommand(options.guest),
      "services running in the guest, to find again in the container",
    );
    if (ps.code === 0)
      services.push(
        ...new Set(
          ps.stdout
            .split("\n")
            .map((l) => l.trim())
            .filter((p) => p && !TRANSIENT_PROCESSES.has(p)),
        ),
      );
    else
      findings.push(
        warning(
          "Guest processes unknown",
          `\`vserver ${options.guest} exec ps\` exited ${ps.code}; services will not be checked after the start`,
        ),
      );
    const ss = await run(
      source,
      guestListenersCommand(options.guest),
      "TCP ports the guest listens on, to reach again from the node",
    );
    if (ss.code === 0) listeners = parseListeners(ss.stdout);
    else
      findings.push(
        warning(
          "Guest ports unknown",
          `\`${guestListenersCommand(options.guest)}\` exited ${ss.code}: ${(ss.stderr || ss.stdout).trim()}; only ping is checked after the start`,
        ),
      );
  }

  const release = await readGuestRelease(source, config.vdir);
  const unameM = await run(source, "uname -m", "architecture for OSTEMPLATE");
  const arch = unameM.stdout.trim() || "x86_64";
  const osTemplate = osTemplateFor(release, arch);
  if (!osTemplate)
    findings.push(
      warning(
        "Unknown guest release",
        `no release file vzctl can use in ${config.vdir} (${release.source}): OSTEMPLATE stays unset and vzctl will not write the guest's network config`,
        "set OSTEMPLATE in the CTID.conf by hand",
      ),
    );

  const resolv = (await readOptional(source, posix.join(config.vdir, "etc/resolv.conf"))) ?? "";
  const nameservers = [...resolv.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]!);
  const searchDomains =
    resolv
      .match(/^\s*(?:search|domain)\s+(.+)$/m)?.[1]
      ?.trim()
      .split(/\s+/) ?? [];

  const du = await run(source, cmd("du", "-sxk", config.vdir), "disk space the guest uses (1K blocks)");
  const diskUsedKb = du.code === 0 ? Number(du.stdout.trim().split(/\s+/)[0]) : undefined;
  const df = await run(target, cmd("df", "-Pk", posix.dirname(privateDir)), "free space on the node");
  const freeKb = (parseDf(df.stdout)?.availableBytes ?? NaN) / 1024;
  if (diskUsedKb !== undefined && Number.isFinite(freeKb) && freeKb < diskUsedKb * 1.1) {
    findings.push(
      blocker(
        "Not enough space on the node",
        `the guest uses ${diskUsedKb} KiB; ${posix.dirname(privateDir)} has ${freeKb} KiB free (10% margin required)`,
        "free space on the node or use another VE_PRIVATE",
        "target",
      ),
    );
  }

  if (options.keepGuestOnBoot && config.mark) {
    findings.push(
      warning(
        "The old guest still starts at boot",
        `keepGuestOnBoot leaves apps/init/mark ("${config.mark}"): when the VServer host reboots, ${options.guest} starts again with the container's addresses`,
        `mv ${config.confDir}/apps/init/mark aside once the container is trusted`,
        "source",
      ),
    );
  }
  const ips = activeAddresses(config);
  for (const iface of config.interfaces.filter((i) => i.nodev && !i.disabled)) {
    findings.push(
      warning(
        `${iface.ip} stays on the VServer host`,
        `interfaces/${iface.id} is nodev: util-vserver never put this address on a host device, so \`vserver stop\` will not remove it either`,
        `remove ${iface.ip} from the VServer host's interfaces before the container starts, or both will answer ARP for it`,
        "source",
      ),
    );
  }
  if (ips.length === 0)
    findings.push(
      warning("No addresses", "the guest has no enabled interfaces/N/ip: the container gets no IP_ADDRESS"),
    );
  const configured = await run(target, nodeConfiguredIpsCommand(options.vzConfDir), "addresses other containers use");
  const nodeAddrs = await run(target, "ip -o addr show", "addresses the node itself has");
  for (const ip of ips) {
    const owner = configured.stdout
      .split("\n")
      .find((l) => new RegExp(`["\\s=]${ip.replace(/\./g, "\\.")}(/\\d+)?(["\\s]|$)`).test(l));
    if (owner)
      findings.push(
        blocker(
          `IP ${ip} is in use`,
          `another container has it: ${owner.trim()}`,
          "remove it from that container or from the guest first",
          "target",
        ),
      );
    if (new RegExp(`\\sinet6?\\s${ip.replace(/\./g, "\\.")}/`).test(nodeAddrs.stdout))
      findings.push(
        blocker(
          `IP ${ip} is in use`,
          "the OpenVZ node itself has this address",
          "remove it from the node's interfaces",
          "target",
        ),
      );
  }

  if (ctx.plan.target.transport !== "local" || ctx.plan.source.transport !== "local") {
    const check = await run(
      source,
      sourceSshCheckCommand(ctx.plan),
      "the source can reach the node over ssh with a known host key",
    );
    if (check.code !== 0) {
      findings.push(
        blocker(
          "Source cannot reach the node",
          `\`${sourceSshCheckCommand(ctx.plan)}\` exited ${check.code}: ${(check.stderr || check.stdout).trim()}`,
          "on the source, put root's public key in the node's /root/.ssh/authorized_keys and the node's host key in root's known_hosts (ssh-keyscan output checked against the node's fingerprint)",
          "source",
        ),
      );
    }
  }

  const sampleName = vz.CONFIGFILE;
  const samplePath = sampleName ? posix.join(options.vzConfDir, "conf", `ve-${sampleName}.conf-sample`) : undefined;
  if (!samplePath || (await target.stat(samplePath)) === null)
    findings.push(
      warning(
        "No config sample",
        `vz.conf names CONFIGFILE="${sampleName ?? ""}" but ${samplePath ?? "(none)"} is missing: resource limits will be vzctl's defaults`,
      ),
    );

  const settings = mapVserverToCtidConf({
    config,
    ctid,
    osTemplate,
    nameservers,
    searchDomains,
    originSample: sampleName,
    privateTemplate,
    rootTemplate,
  });
  const unmapped = unmappedSettings(config, ctid, options.vzConfDir);
  for (const note of unmapped) findings.push(warning("Not carried over", note));

  const inventory: Inventory = {
    guest: options.guest,
    ctid,
    confDir: config.confDir,
    vdir: config.vdir,
    context: config.context,
    running,
    mark: config.mark,
    hostname: config.nodename,
    nisDomain: config.domainname,
    ips,
    release,
    arch,
    osTemplate,
    nameservers,
    searchDomains,
    services,
    listeners,
    diskUsedKb,
    privateDir,
    rootDir,
    confPath,
    sampleName,
    samplePath,
    settings,
    unmapped,
  };
  return { inventory, findings, commands, notes };
}

export function requireInventory(inventory: Inventory | null | undefined): Inventory {
  if (!inventory) throw new Error("the inventory found no usable guest (see the inventory step's blockers)");
  return inventory;
}
