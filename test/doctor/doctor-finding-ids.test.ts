import { readFile } from "node:fs/promises";
import { join } from "node:path";
import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import { CANNOT_CHECK } from "../../src/engine/finding.js";
import type { ScriptedHost } from "../../src/hosts/scripted-host.js";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";
import { buildHostDoctor } from "../../src/pipelines/host-doctor/pipeline.js";
import type { DoctorOptions } from "../../src/plan/options/host-doctor.js";
import {
  DOCTOR_FINDINGS,
  doctorFindingsMarkdown,
  type DoctorFindingId,
} from "../../src/steps/host-doctor/doctor-findings.js";
import { buildDoctorReport, doctorReportJsonSchema } from "../../src/steps/host-doctor/doctor-report.js";
import { runLocal } from "../image/run-local.js";

const GiB = 1024 ** 3;
const base: DoctorOptions = { uri: "qemu:///system", bridge: "br0", enableKsm: false, openvz: null };
// vzctl's VSwap sample: 1 GiB guaranteed, bursts to 3 GiB.
const container = (vmMemoryBytes: number) => ({ confPath: "/etc/vz/conf/102.conf", vmMemoryBytes });
const KSM_RUN = "/sys/kernel/mm/ksm/run";

async function withoutCpuFlags(host: ScriptedHost): Promise<void> {
  host.putFile("/proc/cpuinfo", await readFile("fixtures/kvm/this-host/proc/cpuinfo", "utf8"));
}

/** Hosts and options that between them make the doctor say every finding it knows; each names what it makes. */
const SCENARIOS: Array<{
  produces: DoctorFindingId[];
  plan: Partial<DoctorOptions>;
  setup?: (host: ScriptedHost) => Promise<void> | void;
}> = [
  // The fixture's legacy domain is on IDE and e1000.
  { produces: ["disk-not-virtio", "nic-not-virtio", "overselling-trap"], plan: { openvz: container(2 * GiB) } },
  { produces: ["bridge-missing", "memory-overcommitted"], plan: { bridge: "br9", openvz: container(16 * GiB) } },
  { produces: ["not-a-bridge"], plan: { bridge: "lo" } },
  { produces: ["vm-smaller-than-guarantee"], plan: { openvz: container(GiB / 2) } },
  { produces: ["libvirt-not-available"], plan: { uri: "qemu:///session" } },
  { produces: ["ksm-off"], plan: {}, setup: (host) => void host.putFile(KSM_RUN, "0\n") },
  { produces: ["ksm-not-available"], plan: {}, setup: (host) => host.deleteFile(KSM_RUN) },
  { produces: ["kvm-without-cpu-flags"], plan: {}, setup: withoutCpuFlags },
  {
    produces: ["kvm-cannot-run-guests"],
    plan: {},
    setup: async (host) => {
      await withoutCpuFlags(host);
      host.on(/^timeout --foreground --kill-after=5 60 qemu-system-x86_64 -accel kvm /, {
        code: 134,
        stderr: "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\n",
      });
    },
  },
  { produces: [CANNOT_CHECK], plan: {}, setup: (host) => host.deleteFile("/proc/meminfo") },
];

async function doctor(plan: Partial<DoctorOptions>, setup?: (host: ScriptedHost) => Promise<void> | void) {
  const host = await loadScriptedHost("fixtures/kvm/hosts/kvm-host", "local");
  await setup?.(host);
  return runLocal(buildHostDoctor(), { ...base, ...plan }, "dry-run", { host });
}

describe("host doctor's findings carry stable ids (new-user trial, finding 12: a script had to match titles)", () => {
  it("each id is kebab-case and names one finding: no two share a title", () => {
    const ids = Object.keys(DOCTOR_FINDINGS);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    const titles = Object.values(DOCTOR_FINDINGS).map((kind) => kind.title);
    expect(new Set(titles).size).toBe(ids.length);
  });

  it("every finding the doctor says has its catalogued id, title and weight, and every catalogued id can be said", async () => {
    const said = new Set<string>();
    for (const scenario of SCENARIOS) {
      const { outcome } = await doctor(scenario.plan, scenario.setup);
      const ids = outcome.findings.map((f) => f.id);
      expect(ids, JSON.stringify(scenario.plan)).toEqual(expect.arrayContaining(scenario.produces));
      for (const f of outcome.findings) {
        expect(f.id && f.id in DOCTOR_FINDINGS, `${f.title} has no catalogued id (${f.id})`).toBe(true);
        const kind = DOCTOR_FINDINGS[f.id as DoctorFindingId];
        expect(f.blocks).toBe(kind.blocks);
        if (f.id === CANNOT_CHECK) expect(f.title).toMatch(/^cannot check [a-z-]+$/);
        else expect(f.title).toBe(kind.title);
        said.add(f.id!);
      }
    }
    expect([...said].sort()).toEqual(Object.keys(DOCTOR_FINDINGS).sort());
  });

  it("the --format json document and the --json events carry the ids, and the published schema requires one of them", async () => {
    const { outcome, events } = await doctor({ bridge: "br9", openvz: container(2 * GiB) });
    const report = JSON.parse(JSON.stringify(buildDoctorReport(outcome.probes, outcome.findings))) as {
      findings: Array<{ id: string; title: string }>;
    };
    const ids = report.findings.map((f) => f.id);
    // First, where `jq '.findings[0]'` shows it at a glance.
    for (const f of report.findings) expect(Object.keys(f)[0]).toBe("id");
    expect(ids).toEqual(["disk-not-virtio", "nic-not-virtio", "bridge-missing", "overselling-trap"]);
    const probed = events.flatMap((e) => (e.type === "step-probed" ? e.findings : []));
    expect(probed.map((f) => f.id)).toEqual(ids);

    const validate = new Ajv({ allErrors: true }).compile(doctorReportJsonSchema());
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    const [first, ...rest] = report.findings;
    expect(validate({ ...report, findings: [{ ...first, id: "no-such-finding" }, ...rest] })).toBe(false);
    expect(validate({ ...report, findings: [{ ...first, id: undefined }, ...rest] })).toBe(false);
  });

  it("the README's host doctor section lists every id, from the same catalogue", async () => {
    const readme = await readFile(join(import.meta.dirname, "../../README.md"), "utf8");
    expect(readme).toContain(doctorFindingsMarkdown());
    for (const id of Object.keys(DOCTOR_FINDINGS)) expect(doctorFindingsMarkdown()).toContain(`| \`${id}\` |`);
  });
});
