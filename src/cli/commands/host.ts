import { Option, type Command } from "commander";
import { BadInputError } from "../../errors.js";
import { parseMemorySize } from "../../kvm/sizes.js";
import type { ExitSetter } from "../program.js";
import { examples } from "../examples.js";
import { requireInputFile } from "../input-file.js";
import { exitCodeForRun } from "../../exit-codes.js";
import { KVM_CHECK_HELP } from "../../steps/host-doctor/kvm-smoke.js";
import { libvirtUri } from "../../plan/options/libvirt-uri.js";

export function registerHost(program: Command, setExit: ExitSetter): void {
  const host = program.command("host").description("checks of this KVM host");
  // Both set `bridge`, the last one given winning: which were given is told by their events.
  const bridgeFlags = new Set<string>();
  host
    .command("doctor")
    .on("option:bridge", () => bridgeFlags.add("--bridge"))
    .on("option:no-bridge", () => bridgeFlags.add("--no-bridge"))
    .description(
      "KVM readiness (vmx/svm, /dev/kvm, libvirt, bridge, virtio), KSM, memory overcommit and the OpenVZ overselling trap",
    )
    .addHelpText(
      "after",
      `\n${KVM_CHECK_HELP}\n` +
        examples(
          "mudanza host doctor",
          "mudanza host doctor --openvz-conf /etc/vz/conf/101.conf --vm-memory 2G",
          "mudanza host doctor --format json   # the checks' facts and findings as one JSON document",
        ),
    )
    .option("--bridge <name>", "the bridge VMs use", "br0")
    .option("--no-bridge", "do not check for a bridge")
    .option("--connect <uri>", "libvirt URI", "qemu:///system")
    .option(
      "--enable-ksm",
      "turn KSM on, its one change (a gate: asks first, or --yes); without it the doctor only reads",
    )
    .option(
      "--openvz-conf <file>",
      "the container's vzctl config (/etc/vz/conf/CTID.conf) for a planned OpenVZ → KVM move",
    )
    .option("--vm-memory <size>", "the planned VM's memory (with --openvz-conf), e.g. 2G")
    .option("-y, --yes", "accept the gate without asking")
    // Was hidden and ignored (new-user trial 10): now the report's format, as image info's.
    .addOption(
      new Option("--format <format>", "text, or json: the report as one JSON document (mudanza schema host-doctor)")
        .choices(["text", "json"])
        .default("text"),
    )
    .option("--json", "print events as NDJSON")
    .option("--state-dir <dir>", "where journals and logs live")
    .action(
      async (opts: {
        bridge: string | false;
        connect: string;
        enableKsm?: boolean;
        openvzConf?: string;
        vmMemory?: string;
        yes?: boolean;
        format: "text" | "json";
        json?: boolean;
        stateDir?: string;
      }) => {
        if (opts.json && opts.format === "json")
          throw new BadInputError("--json (the events) and --format json (the report) both want stdout: choose one");
        // A gate's run draws on stdout too; its events are --json's.
        if (opts.enableKsm && opts.format === "json")
          throw new BadInputError(
            "--format json is the checks' report alone: leave out --enable-ksm, or follow --enable-ksm with --json (the events)",
          );
        if (bridgeFlags.size > 1)
          throw new BadInputError(
            "--bridge and --no-bridge contradict each other: --bridge NAME checks that bridge, --no-bridge checks none",
          );
        if (opts.bridge !== false) {
          const { checkBridgeName } = await import("../../plan/options/bridge-name.js");
          checkBridgeName(opts.bridge);
        }
        // An empty value is a missing one, said as such (new-user trial 10: --vm-memory '' was "they go together").
        for (const [flag, value] of [
          ["--openvz-conf", opts.openvzConf],
          ["--vm-memory", opts.vmMemory],
        ] as const)
          if (value === "")
            throw new BadInputError(
              `${flag} is empty: ${flag === "--vm-memory" ? "write a size, e.g. 2G" : "name the container's configuration file"}`,
            );
        if (Boolean(opts.openvzConf) !== Boolean(opts.vmMemory))
          throw new BadInputError(
            "--openvz-conf and --vm-memory go together: the container's limits are compared with the VM's size",
          );
        const { resolve } = await import("node:path");
        if (opts.openvzConf) {
          const confPath = resolve(opts.openvzConf);
          await requireInputFile(confPath, "--openvz-conf");
          // Its contents are input too: a file without memory limits is refused now, not as a blocker after
          // the checks' 20 s KVM boot (found by a new-user trial).
          const { readFile } = await import("node:fs/promises");
          const { containerMemory } = await import("../../openvz/container-memory.js");
          try {
            containerMemory(await readFile(confPath, "utf8"), confPath);
          } catch (error) {
            if (!(error instanceof BadInputError) || error.message.startsWith(confPath)) throw error;
            throw new BadInputError(`${confPath}: ${error.message}`);
          }
        }
        const { resolveRunMode } = await import("../drive-pipeline.js");
        const { runLocalPipeline } = await import("../run-local-pipeline.js");
        const { buildHostDoctor } = await import("../../pipelines/host-doctor/pipeline.js");
        const { buildDoctorReport, renderDoctorReport } = await import("../../steps/host-doctor/doctor-report.js");
        const plan = {
          uri: libvirtUri(opts.connect),
          bridge: opts.bridge === false ? null : opts.bridge,
          enableKsm: Boolean(opts.enableKsm),
          openvz:
            opts.openvzConf && opts.vmMemory
              ? { confPath: resolve(opts.openvzConf), vmMemoryBytes: parseMemorySize(opts.vmMemory, "--vm-memory") }
              : null,
        };
        // Without --enable-ksm the doctor only reads: it runs as a dry run (no journal, no gate).
        // --format is this command's report, not a dry-run report's (--enable-ksm refused it above).
        const runFlags = { yes: opts.yes, json: opts.json, stateDir: opts.stateDir };
        const mode = plan.enableKsm ? resolveRunMode(runFlags, "leave out --enable-ksm to only check") : "dry-run";
        const flags = plan.enableKsm ? runFlags : { json: opts.json, dryRun: true, stateDir: opts.stateDir };
        const argv = [
          "host",
          "doctor",
          ...(plan.bridge ? ["--bridge", plan.bridge] : ["--no-bridge"]),
          "--connect",
          plan.uri,
          ...(plan.enableKsm ? ["--enable-ksm"] : []),
          ...(plan.openvz ? ["--openvz-conf", plan.openvz.confPath, "--vm-memory", opts.vmMemory!] : []),
        ];
        const outcome = await runLocalPipeline("host-doctor", buildHostDoctor(), plan, flags, argv, {
          mode,
          printReport: false,
        });
        // Checks cut short say nothing true about the host: no report (drivePipeline said why on stderr).
        if (!opts.json && outcome.status !== "interrupted") {
          const report = buildDoctorReport(outcome.probes, outcome.findings);
          process.stdout.write(
            (opts.format === "json" ? JSON.stringify(report, null, 2) : renderDoctorReport(report)) + "\n",
          );
        }
        setExit(exitCodeForRun(outcome));
      },
    );
}
