import { defineStep, verifyResult } from "../../engine/step.js";
import type { Host } from "../../hosts/host.js";
import { sh } from "../../hosts/quote.js";
import { KSM_DIR, KSM_FILES, ksmSavedBytes, parseKsm, type KsmState } from "../../kvm/ksm.js";
import type { DoctorOptions } from "../../plan/options/host-doctor.js";
import type { KsmFacts } from "./doctor-facts.js";
import { doctorFinding } from "./doctor-findings.js";
import { ksmLines } from "./doctor-lines.js";

export async function readKsm(host: Host): Promise<{ state: KsmState; pageSize: number } | null> {
  if (!(await host.stat(`${KSM_DIR}/run`))) return null;
  const values: Record<string, string> = {};
  for (const name of KSM_FILES) values[name] = await host.readFile(`${KSM_DIR}/${name}`);
  const page = await host.exec("getconf PAGESIZE");
  return {
    state: parseKsm(values),
    pageSize: page.code === 0 && /^\d+$/.test(page.stdout.trim()) ? Number(page.stdout.trim()) : 4096,
  };
}

/** KSM merges identical guest pages (QEMU marks guest RAM mergeable): on or off, and what it saves now. */
export const ksmStatusStep = defineStep<DoctorOptions, null>({
  id: "ksm",
  title: "Kernel samepage merging (KSM)",
  destructive: false,
  async probe(ctx) {
    const ksm = await readKsm(ctx.host("local"));
    if (!ksm)
      return {
        satisfied: true,
        reason: "checked",
        plan: null,
        findings: [doctorFinding("ksm-not-available", `${KSM_DIR} does not exist (kernel built without CONFIG_KSM)`)],
      };
    const facts: KsmFacts = {
      run: ksm.state.run,
      pagesShared: ksm.state.pagesShared,
      pagesSharing: ksm.state.pagesSharing,
      pageSize: ksm.pageSize,
      savedBytes: ksmSavedBytes(ksm.state, ksm.pageSize),
      fullScans: ksm.state.fullScans,
    };
    const running = ksm.state.run === 1;
    return {
      satisfied: true,
      reason: "checked",
      plan: null,
      findings:
        running || ctx.plan.enableKsm
          ? []
          : [
              doctorFinding(
                "ksm-off",
                `${KSM_DIR}/run is ${ksm.state.run}: identical pages of VMs are not merged`,
                "mudanza host doctor --enable-ksm",
              ),
            ],
      facts,
      details: ksmLines(facts),
    };
  },
  commands: () => [],
  async run() {},
  async verify() {
    return verifyResult([]);
  },
});

const ENABLE = sh`echo 1 > ${`${KSM_DIR}/run`}`;

/** --enable-ksm: a gate, then `echo 1 > /sys/kernel/mm/ksm/run` (until the next boot; the report says how to keep it). */
export const enableKsmStep = defineStep<DoctorOptions, { enable: boolean }>({
  id: "enable-ksm",
  title: "Turn KSM on",
  destructive: true,
  skip: (ctx) => (ctx.plan.enableKsm ? undefined : "not asked (--enable-ksm)"),
  async probe(ctx) {
    const ksm = await readKsm(ctx.host("local"));
    if (!ksm)
      return {
        satisfied: false,
        plan: { enable: false },
        findings: [doctorFinding("ksm-not-available", `${KSM_DIR} does not exist`)],
      };
    const on = ksm.state.run === 1;
    return {
      satisfied: on,
      reason: on ? "KSM is already running" : undefined,
      plan: { enable: !on },
      findings: [],
      details: ["lasts until reboot: Debian's ksmtuned, or a sysfs.d / tmpfiles.d entry, makes it permanent"],
    };
  },
  commands: (plan) =>
    plan.enable ? [{ host: "local", command: ENABLE, purpose: "start ksmd merging identical pages" }] : [],
  async run(ctx, plan) {
    if (!plan.enable) throw new Error("KSM is not available on this host: nothing to enable");
    const res = await ctx.host("local").exec(ENABLE, { signal: ctx.signal });
    if (res.code !== 0) throw new Error(`enabling KSM failed: ${res.stderr.trim() || `exit ${res.code}`}`);
  },
  async verify(ctx) {
    const run = (await ctx.host("local").readFile(`${KSM_DIR}/run`)).trim();
    return verifyResult([{ name: "KSM runs", ok: run === "1", detail: `${KSM_DIR}/run = ${run}` }]);
  },
});
