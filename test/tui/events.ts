import type { PipelineEvent } from "../../src/engine/events.js";

/** Event builders for renderer tests: shapes exactly as the runner emits them (validated in tests). */
export const T0 = Date.parse("2026-11-23T10:00:00.000Z");
export const at = (sec: number): string => new Date(T0 + sec * 1000).toISOString();

export const start = (overrides: Partial<Extract<PipelineEvent, { type: "pipeline-start" }>> = {}): PipelineEvent => ({
  type: "pipeline-start",
  at: at(0),
  kind: "openvz-to-kvm",
  title: "OpenVZ container to KVM VM",
  hosts: { source: "root@old.example.org:22", target: "root@new.example.org:22" },
  mode: "interactive",
  resumed: false,
  steps: [
    { id: "check-source", title: "Check the source", destructive: false, status: "pending" },
    { id: "stop-services", title: "Stop databases", destructive: true, status: "pending" },
    { id: "copy-files", title: "Copy files (rsync)", destructive: true, status: "pending" },
    { id: "install-boot", title: "Install the bootloader", destructive: true, status: "pending" },
    { id: "reboot", title: "Reboot the target", destructive: true, status: "pending" },
  ],
  journal: "/var/lib/mudanza/web1.journal.json",
  ...overrides,
});

export const probe = (
  stepId: string,
  sec: number,
  extra: Partial<Extract<PipelineEvent, { type: "step-probed" }>> = {},
): PipelineEvent[] => [
  { type: "step-start", at: at(sec), stepId, phase: "probe" },
  { type: "step-probed", at: at(sec), stepId, satisfied: false, commands: [], findings: [], ...extra },
];

export const stepStart = (stepId: string, sec: number, phase: "probe" | "run" | "verify" = "run"): PipelineEvent => ({
  type: "step-start",
  at: at(sec),
  stepId,
  phase,
});

export const stepEnd = (
  stepId: string,
  sec: number,
  status: "done" | "failed" | "skipped" | "blocked" | "pending",
  durationMs: number,
  message?: string,
): PipelineEvent => ({
  type: "step-end",
  at: at(sec),
  stepId,
  status,
  durationMs,
  message,
});

export const output = (stepId: string, sec: number, line: string, host = "target"): PipelineEvent => ({
  type: "output",
  at: at(sec),
  stepId,
  host,
  stream: "stdout",
  line,
});

export const progress = (
  stepId: string,
  sec: number,
  bytesDone: number,
  bytesTotal: number,
  extra: Record<string, number> = {},
): PipelineEvent => ({
  type: "progress",
  at: at(sec),
  stepId,
  progress: { bytesDone, bytesTotal, ...extra },
});

export const end = (
  sec: number,
  status: "done" | "failed" | "blocked" | "interrupted" | "declined",
  extra: Partial<Extract<PipelineEvent, { type: "pipeline-end" }>> = {},
): PipelineEvent => ({
  type: "pipeline-end",
  at: at(sec),
  status,
  signal: status === "interrupted" ? "SIGINT" : undefined,
  journal: "/var/lib/mudanza/web1.journal.json",
  log: "/var/lib/mudanza/web1.log.ndjson",
  ...extra,
});

/** Preflight of every step, then steps 1 (done) and a running copy. */
export function runningCopy(): PipelineEvent[] {
  return [
    start(),
    ...probe("check-source", 1),
    ...probe("stop-services", 1),
    ...probe("copy-files", 2, { details: ["would delete 12 files on target"] }),
    ...probe("install-boot", 2),
    ...probe("reboot", 2),
    ...probe("check-source", 3),
    stepStart("check-source", 3, "verify"),
    stepEnd("check-source", 3, "done", 400),
    stepStart("stop-services", 4, "run"),
    stepEnd("stop-services", 6, "done", 2100),
    ...probe("copy-files", 7),
    stepStart("copy-files", 8, "run"),
    output("copy-files", 9, "sending incremental file list"),
    output("copy-files", 9, "var/lib/mysql/ibdata1"),
    progress("copy-files", 10, 1288490189, 4294967296, { rateBytesPerSec: 47185920, filesChecked: 12034 }),
  ];
}
