import { acknowledgeable, blocker, type Finding } from "../../engine/finding.js";
import type { OvzBlockerId } from "../../plan/options/openvz-to-kvm.js";
import {
  defineStep,
  verifyResult,
  writeFileCommand,
  isFileWrite,
  type PlannedCommand,
  type VerifyCheck,
} from "../../engine/step.js";
import { execOk, readOptional, type Host } from "../../hosts/host.js";
import { cmd, sh } from "../../hosts/quote.js";
import type { FamilyKnowledge } from "../../distro/index.js";
import { distroOf, requireFamily, selinuxEnforcing } from "../host/probes.js";
import { readNetworkFiles, type NetworkFile } from "../network/network-files.js";
import { withKeptContent } from "../network/network-secrets.js";
import { type OvzContext, type OvzPlan } from "./plan.js";
import { NETWORK_UNITS, showUnits } from "../services/units.js";
import { BACKUP_DIR } from "../rsync/excludes.js";
import { backupCommand, parentOf, stampedBackupDir } from "../host/backup.js";
import { planNetworkFixup, VENET_LEFTOVERS, type FixAction } from "./network-plan.js";
import { OVZ_FACTS, type TargetIdentity } from "./facts.js";
import type { FactValue } from "../../engine/facts.js";
import { exitedWith } from "../../hosts/failure-text.js";

async function presentLeftovers(host: Host): Promise<string[]> {
  const found = await Promise.all(VENET_LEFTOVERS.map((path) => host.stat(path)));
  return VENET_LEFTOVERS.filter((_, i) => found[i] !== null);
}

function describe(a: FixAction): string {
  return `${a.kind} ${a.path}: ${a.why}`;
}

/** resolv.conf must name a nameserver (or be the resolver stub link the VM used). */
function resolverWorks(file: NetworkFile | null): boolean {
  if (!file) return false;
  if (file.link) return true;
  return /^\s*nameserver\s+\S+/m.test(file.content);
}

async function readResolv(host: Host): Promise<NetworkFile | null> {
  // asked together (one round trip on a host that batches them): a link is read through as well
  const [s, through] = await Promise.all([host.stat("/etc/resolv.conf"), readOptional(host, "/etc/resolv.conf")]);
  if (!s) return null;
  if (s.type === "symlink")
    // A dangling link (the copy removed systemd-resolved) does not resolve anything.
    return through === null
      ? { path: "/etc/resolv.conf", content: "", link: false }
      : { path: "/etc/resolv.conf", content: s.linkTarget ?? "", link: true };
  return { path: "/etc/resolv.conf", content: through ?? "" };
}

/** A pass of the copy has run: the target holds the source's files now. */
const copiedYet = (ctx: OvzContext): boolean =>
  ctx.facts.get(OVZ_FACTS.finalSyncAt) !== undefined || ctx.facts.get(OVZ_FACTS.syncPasses) !== undefined;

/** The actions for this run: after the copy from the target's files, before it from the source's (what will arrive). */
async function currentPlan(
  ctx: OvzContext,
  family: FamilyKnowledge,
  identity: TargetIdentity | undefined,
  copied: boolean,
): Promise<{ actions: FixAction[]; captured: NetworkFile[] }> {
  const onTarget = copied ? ctx.host("target") : ctx.host("source");
  // asked together: none waits for another (a dry run's last reads were these, one after the other)
  const [captured, read, leftovers] = await Promise.all([
    identity
      ? withKeptContent(ctx.host("target"), identity.network)
      : readNetworkFiles(ctx.host("target"), family, ctx.signal),
    readNetworkFiles(onTarget, family, ctx.signal),
    presentLeftovers(onTarget),
  ]);
  // Before the copy: what will arrive is the source's files, except at the VM's own paths, which no pass touches.
  const capturedPaths = new Set(captured.map((file) => file.path));
  const present = copied ? read : [...read.filter((file) => !capturedPaths.has(file.path)), ...captured];
  return { actions: planNetworkFixup(family, captured, present, leftovers), captured };
}

/** What network-fixup applies, decided by its probe. */
export interface FixupPlan {
  /** Where everything changed is kept, stamped when the plan is made. */
  backupDir: string;
  actions: FixAction[];
  /** Restored files holding a secret come back from their copy on the target: path -> kept copy. */
  keptCopies: Record<string, string>;
  /** The VM's own resolv.conf to bring back, or null to keep the copied one (it names a nameserver). */
  restoreResolv: NetworkFile | null;
  networkUnits: string[];
  relabel: boolean;
}

const fileMode = (path: string): number => (/system-connections|netplan/.test(path) ? 0o600 : 0o644);

/** One action as commands, in the order run applies them (a file write is shown as `(write PATH)`). */
function actionCommands(plan: FixupPlan, action: FixAction): string[] {
  const out = [backupCommand(action.path, `${plan.backupDir}${action.path}`)];
  if (action.kind === "remove") out.push(cmd("rm", "-f", action.path));
  else if (action.kind === "restore" && action.link) out.push(cmd("ln", "-sfn", action.content, action.path));
  else {
    out.push(sh`rm -f ${action.path} && mkdir -p ${parentOf(action.path)}`);
    const kept = action.kind === "restore" ? plan.keptCopies[action.path] : undefined;
    out.push(
      kept
        ? cmd("cp", "-a", kept, action.path)
        : writeFileCommand(action.path, `mode ${fileMode(action.path).toString(8)}`),
    );
  }
  return out;
}

function resolvCommands(plan: FixupPlan): string[] {
  if (!plan.restoreResolv) return [];
  const { backupDir, restoreResolv } = plan;
  return [
    sh`if test -e /etc/resolv.conf || test -L /etc/resolv.conf; then mkdir -p ${backupDir}/etc && cp -a /etc/resolv.conf ${backupDir}/etc/resolv.conf; fi; rm -f /etc/resolv.conf`,
    restoreResolv.link
      ? cmd("ln", "-s", restoreResolv.content, "/etc/resolv.conf")
      : writeFileCommand("/etc/resolv.conf"),
  ];
}

const DAEMON_RELOAD = cmd("systemctl", "daemon-reload");
const enableCommand = (unit: string): string => cmd("systemctl", "enable", "--", unit);
const RELABEL = cmd("touch", "/.autorelabel");

/** Step 6: venet config out, the VM's own config back, resolver working, relabel when SELinux enforces. */
export const networkFixup = defineStep<OvzPlan, FixupPlan | null>({
  id: "network-fixup",
  title: "Remove venet config and restore the target's network config",
  destructive: false,
  changesWithoutAsking:
    "replaces the copied network config on the target, keeping what it replaces under /root/mudanza-backup",

  async probe(ctx) {
    const target = ctx.host("target");
    const distro = await requireFamily(target, "target", "its network config cannot be fixed");
    if ("blocker" in distro) return { satisfied: false, plan: null, findings: [distro.blocker] };
    const identity = ctx.facts.get(OVZ_FACTS.targetIdentity);
    // The source's reads below, needed only before the copy, wait for nothing the target says: asked now.
    const source = ctx.host("source");
    const copied = copiedYet(ctx);
    const sourceUnits = copied ? Promise.resolve([]) : showUnits(source, NETWORK_UNITS, ctx.signal);
    const sourceNetplan = copied ? Promise.resolve(null) : source.stat("/usr/sbin/netplan");
    // Resolver: the copied file is kept if it names a nameserver (before the copy: the source's is what arrives).
    const arrivingResolv = readResolv(copied ? target : source);
    for (const early of [sourceUnits, sourceNetplan, arrivingResolv]) early.catch(() => undefined); // awaited when needed
    const { actions, captured } = await currentPlan(ctx, distro.family, identity, copied);
    const findings: Finding[] = [];
    const details: string[] = [
      copied
        ? "after the copy, on the target:"
        : "before the copy: computed from the source's files that the copy will bring",
    ];
    details.push(...actions.map(describe));
    // The units that bring the VM's network up must exist in the source's userland, or the VM boots offline.
    const networkUnits =
      identity?.networkUnits ??
      (await showUnits(target, NETWORK_UNITS, ctx.signal))
        .filter((u) => u.loaded && u.unitFileState === "enabled")
        .map((u) => u.id);
    if (!copied && networkUnits.length > 0) {
      // The same full query on both hosts (one command to answer), filtered to what the target uses.
      const onSource = (await sourceUnits).filter((u) => networkUnits.includes(u.asked));
      for (const unit of onSource.filter((u) => !u.loaded && u.asked !== "systemd-resolved.service")) {
        findings.push(
          acknowledgeable(
            "source-network-service-missing" satisfies OvzBlockerId,
            blocker(
              "Network service missing on the source",
              `the target brings its network up with ${unit.asked}, which the source does not have: after the copy the VM would boot without network`,
              `install it on the source first (${unit.asked.startsWith("NetworkManager") ? "dnf/apt-get install NetworkManager" : unit.asked === "network.service" ? "dnf install network-scripts" : unit.asked === "networking.service" ? "apt-get install ifupdown" : "install systemd-networkd's package"}), or reinstall the VM with the config the source uses`,
              "source",
            ),
          ),
        );
      }
    }
    // netplan YAML is applied by netplan's systemd generator: without netplan on the source the VM ignores it.
    const netplanFiles = captured.filter((f) => f.path.startsWith("/etc/netplan/"));
    if (!copied && netplanFiles.length > 0 && !(await sourceNetplan)) {
      findings.push(
        blocker(
          "netplan missing on the source",
          `the target configures its network with ${netplanFiles.map((f) => f.path).join(", ")}, but the source has no netplan: after the copy the VM would boot without network`,
          "apt-get install netplan.io on the source first",
          "source",
        ),
      );
    }
    details.push(`network services to enable again: ${networkUnits.join(", ") || "none"}`);
    const relabel = identity?.selinuxEnforcing ?? (await selinuxEnforcing(target, ctx.signal));
    if (relabel)
      details.push(
        "SELinux enforces on the target: /.autorelabel is created so the next boot relabels the copied files",
      );
    if (relabel && !copied) {
      // The copy replaces the VM's policy and setfiles with the source's: without them the VM cannot boot enforcing.
      const needed = distro.family.relabelPackages;
      const installed = distro.family.parseInstalled(
        (await ctx.host("source").exec(distro.family.installedQuery(needed), { signal: ctx.signal })).stdout,
      );
      const missing = needed.filter((p) => !installed.includes(p));
      if (missing.length > 0)
        findings.push(
          blocker(
            "SELinux policy missing on the source",
            `the target enforces SELinux, but the source lacks ${missing.join(", ")}: after the copy the VM would have no policy to load or no tool to relabel with`,
            `install ${missing.join(" ")} on the source first, or set SELINUX=permissive in the target's /etc/selinux/config and reboot it`,
            "source",
          ),
        );
    }
    details.push(`every file changed or removed is kept under ${BACKUP_DIR}/`);
    // The usual case since the copy leaves the VM's own network files alone: said, not warned about.
    if (actions.length === 0 && copied)
      details.push("no file to restore or remove: the target's network config matches what was captured");
    // Resolver: keep the copied file if it names a nameserver, else bring the VM's back.
    const resolvWorks = resolverWorks(await arrivingResolv);
    const plan: FixupPlan = {
      backupDir: stampedBackupDir(),
      actions,
      keptCopies: Object.fromEntries(
        (identity?.network ?? []).filter((f) => f.keptOnTarget).map((f) => [f.path, f.keptOnTarget!]),
      ),
      restoreResolv: !resolvWorks && identity?.resolvConf ? identity.resolvConf : null,
      networkUnits,
      relabel,
    };
    const done = ctx.facts.get(OVZ_FACTS.networkFixup);
    const satisfied =
      copied && !!done && done.at >= (ctx.facts.get(OVZ_FACTS.finalSyncAt) ?? "") && actions.length === 0;
    return {
      satisfied,
      reason: satisfied ? "already fixed after the final pass" : undefined,
      plan,
      findings,
      details,
      facts: {
        networkActions: actions.map((a) => `${a.kind} ${a.path}`),
        targetNetworkUnits: networkUnits,
        targetRelabel: relabel,
      },
    };
  },

  commands(plan) {
    if (!plan) return [];
    const target = (command: string, purpose: string): PlannedCommand => ({ host: "target", command, purpose });
    return [
      target(cmd("mkdir", "-p", "-m", "700", plan.backupDir), "where every changed file is kept"),
      ...plan.actions.flatMap((a) => actionCommands(plan, a).map((c) => target(c, a.why))),
      ...resolvCommands(plan).map((c) =>
        target(c, "the copied resolv.conf names no nameserver: the VM's own comes back"),
      ),
      target(DAEMON_RELOAD, "see the copied unit files"),
      ...plan.networkUnits.map((u) =>
        target(enableCommand(u), "the VM's network service (its enablement link came from the source)"),
      ),
      ...(plan.relabel ? [target(RELABEL, "SELinux relabel at next boot")] : []),
    ];
  },

  async run(ctx, plan) {
    if (!plan) throw new Error("unknown distribution on the target");
    const target = ctx.host("target");
    if (!ctx.facts.get(OVZ_FACTS.targetIdentity))
      throw new Error("the target's captured identity is missing from the journal (capture-target did not run)");
    const backup = plan.backupDir;
    await execOk(target, cmd("mkdir", "-p", "-m", "700", backup), { signal: ctx.signal });
    for (const action of plan.actions) {
      // Keep whatever is there now (file or link) before touching it.
      for (const command of actionCommands(plan, action)) {
        // A file holding a secret comes back from its copy on the target with its own mode and owner
        // (a WireGuard netdev is root:systemd-network 0640, an ifcfg keys file 0600), never world-readable.
        if (isFileWrite(command))
          await target.writeFile(action.path, "content" in action ? action.content : "", {
            mode: fileMode(action.path),
          });
        else await execOk(target, command, { signal: ctx.signal });
      }
      ctx.output("target", describe(action));
    }
    let resolvConf = "kept the copied /etc/resolv.conf";
    if (plan.restoreResolv) {
      for (const command of resolvCommands(plan)) {
        if (isFileWrite(command)) await target.writeFile("/etc/resolv.conf", plan.restoreResolv.content);
        else await execOk(target, command, { signal: ctx.signal });
      }
      resolvConf = "restored the target's /etc/resolv.conf";
    }
    ctx.output("target", resolvConf);
    await execOk(target, DAEMON_RELOAD, { signal: ctx.signal });
    const enabled: string[] = [];
    for (const unit of plan.networkUnits) {
      const r = await target.exec(enableCommand(unit), { signal: ctx.signal });
      if (r.code === 0) enabled.push(unit);
      else ctx.output("target", `systemctl enable ${unit} ${exitedWith(r)}`, "stderr");
    }
    if (plan.relabel) await execOk(target, RELABEL, { signal: ctx.signal });
    const fact: FactValue<typeof OVZ_FACTS.networkFixup> = {
      at: new Date().toISOString(),
      backupDir: backup,
      actions: plan.actions.map((a) => ({ kind: a.kind, path: a.path, why: a.why })),
      enabledUnits: enabled,
      resolvConf,
      relabel: plan.relabel,
    };
    await ctx.facts.set(OVZ_FACTS.networkFixup, fact);
  },

  async verify(ctx) {
    const target = ctx.host("target");
    const distro = await distroOf(target);
    const identity = ctx.facts.get(OVZ_FACTS.targetIdentity);
    if (!distro.family || !identity)
      return verifyResult([{ name: "target identity and distribution known", ok: false }]);
    const present = await readNetworkFiles(target, distro.family, ctx.signal);
    const remaining = planNetworkFixup(
      distro.family,
      await withKeptContent(target, identity.network),
      present,
      await presentLeftovers(target),
    );
    const venet = present.filter((f) => distro.family.network.isVenet(f.path, f.content)).map((f) => f.path);
    const checks: VerifyCheck[] = [
      { name: "no venet config left", ok: venet.length === 0, detail: venet.join(", ") || undefined },
      {
        name: "the target's own network config is in place",
        ok: remaining.length === 0,
        detail: remaining.map(describe).join("; ") || `${identity.network.length} file(s)`,
      },
      { name: "resolv.conf names a nameserver", ok: resolverWorks(await readResolv(target)) },
    ];
    if (identity.selinuxEnforcing) {
      // The relabel runs at the next boot and removes the flag: after the reboot it is gone legitimately.
      const rebooted = ctx.facts.get(OVZ_FACTS.reboot) !== undefined;
      checks.push({ name: "SELinux relabel scheduled", ok: rebooted || (await target.stat("/.autorelabel")) !== null });
    }
    return verifyResult(checks);
  },
});
