import { describe, expect, it } from "vitest";
import type { Pipeline, ProbeResult } from "../../src/engine/step.js";
import { blocker, warning } from "../../src/engine/finding.js";
import { collectDryRun, renderDryRunMarkdown } from "../../src/report/dry-run-report.js";
import { dryRunReportSchema } from "../../src/report/dry-run-schema.js";
import { demoHosts } from "../support/demo-hosts.js";
import { runDemo, tempStateDir } from "../support/run-demo.js";
import { buildDemoPipeline } from "../support/demo-pipeline.js";

const step = (id: string, title: string, destructive = false) => ({
  id,
  title,
  destructive,
  probe: async () => ({ satisfied: false, commands: [], findings: [], plan: null }),
  commands: () => [],
  run: async () => {},
  verify: async () => ({ ok: true, checks: [] }),
});
const pipeline: Pipeline<unknown> = {
  kind: "openvz-to-kvm",
  title: "OpenVZ container to KVM VM",
  steps: [
    step("release-match", "Check releases"),
    step("copy", "Copy the root filesystem", true),
    step("pre-update", "Update both systems", true),
    step("boot", "Install the bootloader", true),
  ],
};
const hosts = { source: "root@old.example.org:22", target: "root@new.example.org:22" };
const probes: Record<string, ProbeResult> = {
  "release-match": {
    satisfied: false,
    commands: [],
    findings: [
      warning("Source is not a container", "systemd-detect-virt says kvm", "check the plan's source", "source"),
    ],
    details: ["source: Debian GNU/Linux 12 (bookworm) on openvz"],
    facts: {
      source: { id: "debian", versionId: "12", pretty: "Debian GNU/Linux 12 (bookworm)" },
      targetVirt: "kvm",
      sourceDiskUsedBytes: 12884901888,
      "target.diskFreeBytes": 53687091200,
      databases: ["mysql", "postgresql"],
    },
  },
  copy: {
    satisfied: false,
    commands: [
      {
        host: "source",
        command: "rsync -aHAX --numeric-ids --delete --exclude=/proc / root@new:/",
        purpose: "copy the root filesystem",
      },
      { host: "target", command: "mkdir -p '/root/mudanza-backup'" },
    ],
    findings: [
      blocker("Not enough space", "target has 50 GiB free, needs 60 GiB", "grow the target disk to 80 GiB", "target"),
    ],
    details: ["would delete 12 files on target"],
    facts: {
      excludes: [
        { path: "/proc", reason: "kernel pseudo filesystem" },
        { path: "/etc/fstab", reason: "the VM's disks by UUID | not the container's" },
      ],
      bytesToTransfer: 12884901888,
      networkConfigFiles: ["/etc/network/interfaces", "/etc/resolv.conf"],
    },
  },
  boot: { satisfied: true, reason: "grub already installed", commands: [], findings: [] },
};

describe("dry-run report", () => {
  const data = collectDryRun(
    pipeline,
    hosts,
    probes,
    { "pre-update": "skipped by the plan" },
    "2026-11-23T10:00:00.000Z",
  );

  it("JSON validates against the exported schema and arranges the facts", () => {
    const parsed = dryRunReportSchema.parse(JSON.parse(JSON.stringify(data)));
    expect(parsed.outcome).toBe("blocked");
    expect(parsed.hostFacts.source!.map((f) => f.label)).toEqual(["Check releases", "diskUsedBytes"]);
    expect(parsed.hostFacts.target!.map((f) => f.label)).toEqual(["virt", "diskFreeBytes"]);
    expect(parsed.excludes).toEqual([
      { path: "/proc", reason: "kernel pseudo filesystem", stepId: "copy" },
      { path: "/etc/fstab", reason: "the VM's disks by UUID | not the container's", stepId: "copy" },
    ]);
    expect(parsed.estimate).toEqual({ bytesToTransfer: 12884901888, stepId: "copy", key: "bytesToTransfer" });
    expect(parsed.steps.map((s) => s.status)).toEqual(["would-run", "blocked", "skipped", "satisfied"]);
    expect(parsed.blockers.map((b) => b.title)).toEqual(["Not enough space"]);
    expect(parsed.warnings.map((b) => b.title)).toEqual(["Source is not a container"]);
  });

  it("the schema rejects a report missing what readers rely on", () => {
    const { excludes: _gone, ...broken } = data;
    expect(dryRunReportSchema.safeParse(broken).success).toBe(false);
    expect(dryRunReportSchema.safeParse({ ...data, outcome: "maybe" }).success).toBe(false);
  });

  it("Markdown: verdict, blockers with fixes, facts per host, estimate, excludes with reasons, commands per host", () => {
    const md = renderDryRunMarkdown(data);
    expect(md).toContain("**Blocked** by 1 finding(s)");
    expect(md).toContain(
      "- **Not enough space** (target): target has 50 GiB free, needs 60 GiB  \n  Fix: grow the target disk to 80 GiB",
    );
    expect(md).toContain("## Facts: source (`root@old.example.org:22`)");
    expect(md).toContain("  - pretty: Debian GNU/Linux 12 (bookworm)");
    expect(md).toContain("- disk used bytes: 12.0 GiB (12884901888 bytes)");
    expect(md).toContain("- disk free bytes: 50.0 GiB (53687091200 bytes)");
    expect(md).toContain("About **12.0 GiB** (12884901888 bytes) to transfer");
    expect(md).toContain("| `/etc/fstab` | the VM's disks by UUID \\| not the container's |");
    expect(md).toMatch(
      /On \*\*source\*\*:\n\n```sh\n# copy the root filesystem\nrsync -aHAX --numeric-ids --delete --exclude=\/proc \/ root@new:\/\n```/,
    );
    expect(md).toContain("- would delete 12 files on target");
    expect(md).toContain("- network config files: /etc/network/interfaces, /etc/resolv.conf");
    expect(md).toContain("Status: **skipped**: skipped by the plan");
    expect(md).toContain("Status: **already done**: grub already installed");
    expect(md).toContain("### 2. Copy the root filesystem (`copy`) — asks before running");
  });

  it("read on a terminal: no Markdown escapes in the text, only control characters defused (issue 14)", async () => {
    const { forTerminal } = await import("../../src/errors.js");
    const withArrows = {
      ...data,
      warnings: [
        {
          title: "VE_ROOT <- vz.conf",
          summary: "interfaces/*/ip: *all* addresses\u001b[2J",
          severity: "warning" as const,
          blocks: false,
        },
      ],
    };
    const file = renderDryRunMarkdown(withArrows);
    const terminal = renderDryRunMarkdown(withArrows, forTerminal);
    expect(file).toContain("VE_ROOT \\<- vz.conf");
    expect(file).toContain("interfaces/\\*/ip");
    expect(terminal).toContain("- **VE_ROOT <- vz.conf**: interfaces/*/ip: *all* addresses\\x1b[2J");
    expect(terminal).not.toMatch(/\\[<*_]/);
  });

  it("a real dry run of the demo pipeline makes a valid report that says ready", async () => {
    const h = demoHosts();
    const run = await runDemo(h, await tempStateDir(), { mode: "dry-run" });
    const report = collectDryRun(
      buildDemoPipeline({ root: "/srv" }),
      { source: h.source.address, target: h.target.address },
      run.outcome.probes,
      {},
    );
    expect(dryRunReportSchema.safeParse(report).success).toBe(true);
    expect(report.outcome).toBe("ready");
    expect(report.steps.find((s) => s.id === "copy-data")?.commands[0]?.command).toBe("write /srv/data/app.conf");
    expect(renderDryRunMarkdown(report)).toContain("write /srv/data/app.conf");
  });
});

describe("markdown escaping", async () => {
  const { plain, code, fenced } = await import("../../src/report/markdown.js");
  it("keeps paths readable and user text inert", () => {
    expect(plain("/etc/debian_version -> /vz/private")).toBe("/etc/debian_version -> /vz/private");
    expect(plain("> not a quote")).toBe("\\> not a quote");
    expect(plain("<script> *bold* _it_")).toBe("\\<script> \\*bold\\* \\_it\\_");
    expect(plain("run `vzctl start 101` on the node")).toBe("run `vzctl start 101` on the node");
    expect(plain("a lone ` tick")).toBe("a lone \\` tick");
    expect(code("echo `id`")).toBe("`` echo `id` ``"); // CommonMark strips one space on each side
    expect(code("a`b")).toBe("``a`b``");
    expect(fenced(["a ``` b"])[0]).toBe("````");
  });
});
