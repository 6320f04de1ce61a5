import { loadScriptedHost } from "../../../src/hosts/scripted-fixture.js";
import type { ScriptedHost } from "../../../src/hosts/scripted-host.js";
import { preRebootCheck } from "../../../src/steps/openvz-to-kvm/pre-reboot-check.js";
import { FACT } from "../../../src/steps/openvz-to-kvm/plan.js";
import { planFrom, stepContext } from "../context.js";
import { listFindFromTree } from "../../pipelines/openvz-to-kvm/simulate.js";

export const FAMILIES = {
  debian: {
    plan: "fixtures/plans/ovz-kvm-debian-12.yaml",
    source: "debian-12-openvz-source",
    target: "debian-12-kvm-target",
    kernel: "6.1.0-35-amd64",
  },
  rhel: {
    plan: "fixtures/plans/ovz-kvm-almalinux-8.9.yaml",
    source: "almalinux-8.9-openvz-source",
    target: "almalinux-8.9-kvm-target",
    kernel: "4.18.0-513.5.1.el8_9.x86_64",
  },
} as const;

/** Facts of a run whose final pass and network fixup are done: the check reads the tree instead of waiting. */
const MIGRATED = {
  [FACT.finalSyncAt]: "2026-01-01T10:00:00.000Z",
  [FACT.networkFixup]: {
    at: "2026-01-01T10:01:00.000Z",
    backupDir: "/root/mudanza-backup/x",
    actions: [],
    enabledUnits: [],
    resolvConf: "kept the copied /etc/resolv.conf",
    relabel: false,
  },
};

/**
 * The scripted VM as the check finds it after a copy: the target fixture (a working VM) with the
 * source's hostname and /etc/hosts; each test then breaks one thing.
 */
export async function migratedVm(family: keyof typeof FAMILIES): Promise<{
  source: ScriptedHost;
  target: ScriptedHost;
  probe: () => ReturnType<typeof preRebootCheck.probe>;
  ctx: ReturnType<typeof stepContext>["ctx"];
  facts: Record<string, unknown>;
}> {
  const f = FAMILIES[family];
  const source = await loadScriptedHost(`fixtures/hosts/${f.source}`, "source");
  const target = await loadScriptedHost(`fixtures/hosts/${f.target}`, "target");
  listFindFromTree(target);
  const { ctx, facts } = stepContext(await planFrom(f.plan), { source, target }, { ...MIGRATED });
  return { source, target, ctx, facts, probe: () => preRebootCheck.probe(ctx) };
}

export const blocking = (findings: Array<{ title: string; blocks: boolean; summary: string; remediation?: string }>) =>
  findings.filter((f) => f.blocks);
