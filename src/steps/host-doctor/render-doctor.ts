import type { Finding } from "../../engine/finding.js";
import type { ProbeResult } from "../../engine/step.js";
import { buildDoctorReport, renderDoctorReport } from "./doctor-report.js";

/** The doctor's closing summary: one line per area, then every finding with its fix. */
export function renderDoctor(probes: Record<string, ProbeResult>, findings: Finding[]): string {
  return renderDoctorReport(buildDoctorReport(probes, findings));
}
