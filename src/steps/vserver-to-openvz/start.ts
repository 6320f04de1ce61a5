import { defineStep, verifyResult, type VerifyCheck } from "../../engine/step.js";
import { execOk, readOptional } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import { POINTLESS_SERVICES } from "../../vserver/pointless-services.js";
import { pingCommand, portsToCheck, tcpConnectCommand } from "../../vserver/listeners.js";
import { vzConfValues } from "../../openvz/vz-conf.js";
import { COMPENSATION, stopContainerCommand, type Inventory, type VsContext, type VsPlan } from "./context.js";
import { currentInventory } from "./read-inventory.js";
import { onbootAfterCutover } from "./write-conf.js";
import { VS_FACTS } from "./facts.js";
import { containerRunning } from "./container-status.js";
import { finalSyncStep } from "./sync.js";
import { guestRunning } from "./inventory.js";

const CHECK_INTERVAL_MS = 2000;
const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

export const onbootCommand = (inventory: Inventory): string =>
  cmd("vzctl", "set", inventory.ctid, "--onboot", onbootAfterCutover(inventory), "--save");
export const vzExec = (ctid: number, command: string): string => cmd("vzctl", "exec", ctid, command);
/** Old guests may lack iproute2: fall back to ifconfig (both print "inet ADDR"). */
export const ADDRESSES_IN_GUEST = "ip -o addr show 2>/dev/null || ifconfig -a";

const disabledOnPurpose = new Set(POINTLESS_SERVICES.flatMap((s) => s.names));

/** What clients see: each address answers ping from the node, and each TCP port the guest listened on accepts a connection. */
async function reachableFromNode(ctx: VsContext, inventory: Inventory): Promise<VerifyCheck[]> {
  const target = ctx.host("target");
  const out: VerifyCheck[] = [];
  for (const ip of inventory.ips) {
    const ping = await target.exec(pingCommand(ip));
    out.push({
      name: `${ip} answers ping from the node`,
      ok: ping.code === 0,
      detail:
        ping.code === 0
          ? undefined
          : ping.code === 127
            ? "ping is not installed on the node"
            : `\`${pingCommand(ip)}\` exited ${ping.code}`,
    });
  }
  for (const { ip, port } of portsToCheck(inventory.listeners ?? [], inventory.ips)) {
    const tcp = await target.exec(tcpConnectCommand(ip, port));
    out.push({
      name: `TCP ${ip.includes(":") ? `[${ip}]` : ip}:${port} accepts connections from the node`,
      ok: tcp.code === 0,
      detail: tcp.code === 0 ? undefined : "the guest listened on this port before the migration",
    });
  }
  return out;
}

/** Hostname, addresses and the services that ran before, seen from inside the container. */
async function checks(ctx: VsContext, inventory: Inventory): Promise<VerifyCheck[]> {
  const target = ctx.host("target");
  const out: VerifyCheck[] = [{ name: "container running", ok: await containerRunning(ctx, inventory.ctid) }];
  if (!out[0]!.ok) return out;
  if (inventory.hostname) {
    const hostname = (await target.exec(vzExec(inventory.ctid, "hostname"))).stdout.trim();
    out.push({
      name: "hostname",
      ok: hostname === inventory.hostname || hostname.split(".")[0] === inventory.hostname.split(".")[0],
      detail: `${hostname} (expected ${inventory.hostname})`,
    });
  }
  const addrs = (await target.exec(vzExec(inventory.ctid, ADDRESSES_IN_GUEST))).stdout;
  const seen = new Set([...addrs.matchAll(/inet6?\s+(?:addr:\s*)?([0-9a-fA-F.:]+)/g)].map((m) => m[1]!));
  for (const ip of inventory.ips) out.push({ name: `address ${ip}`, ok: seen.has(ip) });
  out.push(...(await reachableFromNode(ctx, inventory)));
  const wanted = inventory.services.filter((s) => !disabledOnPurpose.has(s));
  if (wanted.length > 0) {
    const ps = new Set(
      (await target.exec(vzExec(inventory.ctid, "ps -eo comm="))).stdout.split("\n").map((l) => l.trim()),
    );
    for (const service of wanted) out.push({ name: `service ${service} runs`, ok: ps.has(service) });
  }
  return out;
}

const startCommand = (ctid: number): string => cmd("vzctl", "start", ctid);

/** `vzctl start`, then the checks until they all pass or the time is up; throws naming what failed. */
async function startAndCheck(ctx: VsContext, inventory: Inventory, checkTimeoutSec: number): Promise<void> {
  await execOk(ctx.host("target"), startCommand(inventory.ctid), {
    timeoutMs: 600_000,
    onStdout: (l) => ctx.output("target", l),
    onStderr: (l) => ctx.output("target", l, "stderr"),
  });
  // Daemons come up after vzctl start returns: poll until every check passes or the time is up.
  const deadline = Date.now() + checkTimeoutSec * 1000;
  let results = await checks(ctx, inventory);
  while (results.some((c) => !c.ok) && Date.now() + CHECK_INTERVAL_MS <= deadline && !ctx.signal.aborted) {
    await sleep(CHECK_INTERVAL_MS, ctx.signal);
    results = await checks(ctx, inventory);
  }
  const failed = results.filter((c) => !c.ok);
  if (failed.length > 0)
    throw new Error(
      `the container started but ${failed.map((c) => `${c.name}${c.detail ? ` (${c.detail})` : ""}`).join("; ")}`,
    );
}

/**
 * Step 6 (gate): start the container and check it from inside. Until the checks pass, a failure stops
 * the container and starts the VServer guest again if this run stopped it; once they pass, that is the cutover.
 */
export interface StartPlan {
  /** What the checks expect: the guest's hostname, addresses and services as the inventory read them. */
  inventory: Inventory;
  checkTimeoutSec: number;
  /** This run stops the guest (the final pass does), so a failed check starts it again; else it stays stopped. */
  restartsGuest: boolean;
}

/**
 * Only the final pass of this run registers "start the guest again", and only when it stops the guest: as this
 * run probed it, or, done in an earlier run and not probed in this one (a resume's preflight), as the run will
 * find it: redone when the guest runs again now (its verify fails on a running guest), which stops it; skipped
 * when the guest is still stopped, and then nothing of this run stops or starts it.
 */
async function finalPassStopsGuest(ctx: VsContext, guest: string): Promise<boolean> {
  return ctx.probedPlan(finalSyncStep)?.stopGuest ?? (await guestRunning(ctx.host("source"), guest));
}

export const startStep = defineStep<VsPlan, StartPlan>({
  id: "start-container",
  title: "Start the OpenVZ container and check it",
  destructive: true,
  async probe(ctx) {
    const inventory = currentInventory(ctx);
    const running = await containerRunning(ctx, inventory.ctid);
    const restartsGuest = await finalPassStopsGuest(ctx, inventory.guest);
    const takesOver = `the container takes over ${inventory.ips.join(" ") || "no addresses"}`;
    return {
      satisfied: running,
      reason: running ? `CT ${inventory.ctid} already runs` : undefined,
      plan: { inventory, checkTimeoutSec: ctx.plan.options.startCheckTimeoutSec, restartsGuest },
      findings: [],
      details: [
        restartsGuest
          ? `${takesOver}; if a check fails it is stopped and ${inventory.guest} is started again on the VServer host`
          : `${takesOver}; if a check fails it is stopped, and ${inventory.guest} stays stopped: it was stopped before this run, which does not start it`,
      ],
    };
  },
  commands: ({ inventory }) => [
    { host: "target", command: startCommand(inventory.ctid), purpose: "boot the container" },
    {
      host: "target",
      command: vzExec(inventory.ctid, "hostname"),
      purpose: `expect ${inventory.hostname ?? "(unset)"}`,
    },
    {
      host: "target",
      command: vzExec(inventory.ctid, ADDRESSES_IN_GUEST),
      purpose: `expect ${inventory.ips.join(" ") || "(none)"}`,
    },
    ...inventory.ips.map((ip) => ({
      host: "target",
      command: pingCommand(ip),
      purpose: `${ip} answers from the node`,
    })),
    ...portsToCheck(inventory.listeners ?? [], inventory.ips).map(({ ip, port }) => ({
      host: "target",
      command: tcpConnectCommand(ip, port),
      purpose: `port ${port} listened on the guest`,
    })),
    {
      host: "target",
      command: vzExec(inventory.ctid, "ps -eo comm="),
      purpose: `expect ${inventory.services.filter((s) => !disabledOnPurpose.has(s)).join(", ") || "(none recorded)"}`,
    },
    {
      host: "target",
      command: onbootCommand(inventory),
      // A guest without a boot mark did not start with its host: neither does the container (new-user trial 10).
      purpose:
        onbootAfterCutover(inventory) === "yes"
          ? "after the checks: start with the node like the guest did with its host"
          : "after the checks: not started with the node, as the guest was not started with its host (no apps/init/mark)",
    },
  ],
  async run(ctx, { inventory, checkTimeoutSec, restartsGuest }) {
    const target = ctx.host("target");
    await ctx.compensations.register({
      id: COMPENSATION.stopContainer,
      title: `stop container ${inventory.ctid}`,
      host: "target",
      command: stopContainerCommand(inventory.ctid),
    });
    try {
      await startAndCheck(ctx, inventory, checkTimeoutSec);
    } catch (error) {
      // The undo list names only what it does: say why the guest is not among it.
      if (!restartsGuest)
        ctx.output(
          "source",
          `${inventory.guest} was stopped before this run: it is not started again (\`vserver ${inventory.guest} start\`, once you know why the container failed)`,
        );
      throw error;
    }
    const answeringAt = new Date();
    // The container now starts with the node the way the guest started with its host (ONBOOT was "no" until here).
    await execOk(target, onbootCommand(inventory));
    // Cutover: the container serves now; a later failure must not start the guest again.
    await ctx.compensations.clear(COMPENSATION.stopContainer, COMPENSATION.restartGuest);
    await ctx.facts.set(VS_FACTS.cutoverAt, answeringAt.toISOString());
    const stoppedAt = ctx.facts.get(VS_FACTS.guestStoppedAt);
    if (stoppedAt) {
      // Guest stopped -> the container answers on every address and port: what clients saw, to a tenth of a second.
      const downtimeSec = Math.round((answeringAt.getTime() - Date.parse(stoppedAt)) / 100) / 10;
      await ctx.facts.set(VS_FACTS.downtimeSec, downtimeSec);
      await ctx.facts.set(VS_FACTS.freezeWindowSec, downtimeSec);
      ctx.output(
        "target",
        `cutover: ${inventory.guest} was down for ${downtimeSec} s (stop, final pass, config, fix-ups, start, until the container answered)`,
      );
    }
  },
  async verify(ctx) {
    const inventory = currentInventory(ctx);
    const conf = await readOptional(ctx.host("target"), inventory.confPath);
    const onboot = conf === null ? undefined : vzConfValues(conf).ONBOOT;
    return verifyResult([
      ...(await checks(ctx, inventory)),
      {
        name: `ONBOOT="${onbootAfterCutover(inventory)}"`,
        ok: onboot === onbootAfterCutover(inventory),
        detail: onboot === undefined ? "no ONBOOT in the config" : `ONBOOT="${onboot}"`,
      },
    ]);
  },
});
