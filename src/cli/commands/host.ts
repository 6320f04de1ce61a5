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
        examples("mudanza host doctor", "mudanza host doctor --openvz-conf /etc/vz/conf/101.conf --vm-memory 2G"),
    )
    .option("--bridge <name>", "the bridge VMs use", "br0")
    .option("--no-bridge", "do not check for a bridge")
    .option("--connect <uri>", "libvirt URI", "qemu:///system")
    .option("--enable-ksm", "turn KSM on (a gate: asks first, or --yes)")
    .option(
      "--openvz-conf <file>",
      "the container's vzctl config (/etc/vz/conf/CTID.conf) for a planned OpenVZ → KVM move",
    )
    .option("--vm-memory <size>", "the planned VM's memory (with --openvz-conf), e.g. 2G")
    .option("-y, --yes", "accept the gate without asking")
    .addOption(new Option("--format <format>", "report format with --json").choices(["md", "json"]).hideHelp())
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
        json?: boolean;
        stateDir?: string;
      }) => {
        if (bridgeFlags.size > 1)
          throw new BadInputError(
            "--bridge and --no-bridge contradict each other: --bridge NAME checks that bridge, --no-bridge checks none",
          );
        if (opts.bridge !== false) {
          const { checkBridgeName } = await import("../../plan/options/bridge-name.js");
          checkBridgeName(opts.bridge);
        }
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
        const { renderDoctor } = await import("../../steps/host-doctor/render-doctor.js");
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
        const mode = plan.enableKsm ? resolveRunMode(opts, "leave out --enable-ksm to only check") : "dry-run";
        const flags = plan.enableKsm ? opts : { json: opts.json, dryRun: true, stateDir: opts.stateDir };
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
        if (!opts.json && outcome.status !== "interrupted")
          process.stdout.write(renderDoctor(outcome.probes, outcome.findings) + "\n");
        setExit(exitCodeForRun(outcome));
      },
    );
}
