import { z } from "zod";
import { findingSchema, type Finding } from "../../engine/events.js";
import type { ProbeResult } from "../../engine/step.js";
import {
  ksmFactsSchema,
  libvirtFactsSchema,
  memoryFactsSchema,
  virtualizationFactsSchema,
  type KsmFacts,
  type LibvirtFacts,
  type MemoryFacts,
  type VirtualizationFacts,
} from "./doctor-facts.js";
import { DOCTOR_FINDING_IDS } from "./doctor-findings.js";
import { ksmLines, libvirtLines, memoryLines, virtualizationLines } from "./doctor-lines.js";
import { documentJsonSchema } from "../../report/document-json-schema.js";

/** Raised when a field of `host doctor --format json` changes meaning or goes away (adding one does not). */
export const DOCTOR_REPORT_VERSION = 1;

/** A doctor finding always carries its id, first: what a script matches, where the title is for people. */
const doctorFindingSchema = z
  .object({
    id: z
      .enum(DOCTOR_FINDING_IDS)
      .describe(
        "stable: what a script matches (the title may be reworded); the README's host doctor section says each",
      ),
  })
  .extend(findingSchema.omit({ id: true }).shape);

/** `host doctor --format json`: every check's facts (null: that check did not answer) and every finding. */
export const doctorReportSchema = z.object({
  version: z.literal(DOCTOR_REPORT_VERSION).describe("raised when a field changes meaning or goes away"),
  blocked: z.boolean().describe("a finding blocks (exit 3)"),
  virtualization: virtualizationFactsSchema.nullable(),
  libvirt: libvirtFactsSchema.nullable(),
  memory: memoryFactsSchema.nullable(),
  ksm: ksmFactsSchema.nullable().describe("null also where the kernel has no KSM (a finding says so)"),
  findings: z.array(doctorFindingSchema),
});
export type DoctorReport = z.infer<typeof doctorReportSchema>;

/** One check's facts as its probe returned them; null when it had none (its probe failed: a finding says why). */
function factsOf<T>(schema: z.ZodType<T>, probe: ProbeResult | undefined): T | null {
  const parsed = schema.safeParse(probe?.facts);
  return parsed.success ? parsed.data : null;
}

export function buildDoctorReport(probes: Record<string, ProbeResult>, findings: Finding[]): DoctorReport {
  return {
    version: DOCTOR_REPORT_VERSION,
    blocked: findings.some((f) => f.blocks),
    virtualization: factsOf<VirtualizationFacts>(virtualizationFactsSchema, probes.virtualization),
    libvirt: factsOf<LibvirtFacts>(libvirtFactsSchema, probes.libvirt),
    memory: factsOf<MemoryFacts>(memoryFactsSchema, probes.memory),
    ksm: factsOf<KsmFacts>(ksmFactsSchema, probes.ksm),
    // A finding outside the catalogue is a bug in the doctor: it fails here, not in a script reading the document.
    findings: z.array(doctorFindingSchema).parse(findings),
  };
}

/** The doctor's text: one line per area, then every finding with its fix. */
export function renderDoctorReport(report: DoctorReport): string {
  const lines: string[] = [
    ...(report.virtualization ? virtualizationLines(report.virtualization) : []),
    ...(report.libvirt ? libvirtLines(report.libvirt) : []),
    ...(report.memory ? memoryLines(report.memory) : []),
    ...(report.ksm ? ksmLines(report.ksm) : []),
  ];
  if (report.findings.length === 0) lines.push("no problems found");
  for (const f of report.findings)
    lines.push(
      `${f.blocks ? "BLOCKER" : f.severity.toUpperCase()}: ${f.title}: ${f.summary}${f.remediation ? `\n    fix: ${f.remediation}` : ""}`,
    );
  return ["KVM host doctor", ...lines.map((l) => `  ${l}`)].join("\n");
}

/** The JSON Schema of `host doctor --format json`, as `mudanza schema host-doctor` prints it. */
export function doctorReportJsonSchema(): Record<string, unknown> {
  return documentJsonSchema(doctorReportSchema, "mudanza host doctor report (host doctor --format json)");
}
