import { Option, type Command } from "commander";
import { BadInputError } from "../../errors.js";
import { parseMemorySize } from "../../kvm/sizes.js";
import { requireInputFile } from "../input-file.js";
import { requiredAfterArguments } from "../required-after-arguments.js";
import type { ExitSetter } from "../program.js";
import type { LocalPipelineFlags as CommonFlags } from "../run-local-pipeline.js";
import { resolveStateDir } from "../state-dir.js";
import { examples } from "../examples.js";
import { exitCodeForRun } from "../../exit-codes.js";
import { KVM_CHECK_HELP } from "../../steps/host-doctor/kvm-smoke.js";
import { libvirtUri } from "../../plan/options/libvirt-uri.js";

const withRunFlags = (c: Command): Command =>
  c
    .option("-y, --yes", "accept every gate without asking (scripts, CI)")
    .option("--dry-run", "run every probe, change nothing, print a report")
    .addOption(new Option("--format <format>", "dry-run report format").choices(["md", "json"]))
    .option("--json", "print events as NDJSON, one per line")
    .option("--state-dir <dir>", "where journals and logs live")
    .option("--restart", "start over with a new journal (the earlier one is kept as JOURNAL.before-restart-TIME)");

const int =
  (name: string) =>
  (value: string): number => {
    if (!/^\d+$/.test(value))
      throw new BadInputError(
        `${name} must be a whole number${value.startsWith("-") ? ", not negative" : ""} (got "${value}")`,
      );
    return Number(value);
  };

export function registerImage(program: Command, setExit: ExitSetter): void {
  const image = program
    .command("image")
    .description("qcow2 chores on a KVM host: sparsify for backup, overlay clones, backing chains");

  withRunFlags(
    image
      .command("sparsify")
      .description(
        "shrink a disk for backup with virt-sparsify --compress; the original is replaced only with --replace, after verification",
      )
      .addHelpText(
        "after",
        `\n${KVM_CHECK_HELP} --dry-run runs it too: it picks KVM or TCG for libguestfs.\n` +
          examples(
            "mudanza image sparsify web1.qcow2 --out web1.backup.qcow2",
            "mudanza image sparsify web1.qcow2 --replace",
          ),
      )
      .argument("<disk>", "the disk image (qcow2 or raw); its VM must be shut down")
      .option("--out <file>", "where the sparsified copy goes (default: DISK.sparse.qcow2 beside it)")
      .option("--replace", "after the copy is verified, put it in place of the original (gate)")
      .option("--tmpdir <dir>", "folder for virt-sparsify's temporary overlay (default: $TMPDIR or /tmp)")
      .option("--connect <uri>", "libvirt URI checked for VMs using the disk", "qemu:///system"),
  ).action(
    async (disk: string, opts: CommonFlags & { out?: string; replace?: boolean; tmpdir?: string; connect: string }) => {
      const { validateSparsifyOptions } = await import("../../plan/options/image-sparsify.js");
      const { buildImageSparsify } = await import("../../pipelines/image-sparsify/pipeline.js");
      const plan = validateSparsifyOptions({
        disk,
        out: opts.out,
        replace: opts.replace,
        tmpdir: opts.tmpdir,
        uri: libvirtUri(opts.connect),
      });
      await requireInputFile(plan.disk, "disk", { blockDevice: true });
      const argv = [
        "image",
        "sparsify",
        plan.disk,
        "--out",
        plan.out,
        ...(plan.replace ? ["--replace"] : []),
        ...(opts.tmpdir ? ["--tmpdir", opts.tmpdir] : []),
        "--connect",
        plan.uri,
      ];
      const { runLocalPipeline } = await import("../run-local-pipeline.js");
      const { cloneRecordsIn } = await import("../../pipelines/image-sparsify/clone-records.js");
      const pipeline = buildImageSparsify(cloneRecordsIn(resolveStateDir(opts.stateDir)));
      const outcome = await runLocalPipeline("image-sparsify", pipeline, plan, opts, argv, {
        takesRestart: true,
        lockImage: plan.disk,
      });
      if (outcome.status === "done" && !opts.json) {
        // The sizes were journaled by the run (a resumed run may not have measured them itself).
        const { Journal } = await import("../../journal/journal.js");
        const { sparsifySummary } = await import("../sparsify-summary.js");
        const { argumentJournal } = await import("../arg-journal.js"); // node:crypto: not for --help
        const journal = await Journal.read(
          Journal.pathFor(resolveStateDir(opts.stateDir), argumentJournal("image-sparsify", plan).migrationId),
        );
        process.stdout.write(sparsifySummary(plan.disk, plan.out, journal?.facts ?? {}) + "\n");
      }
      setExit(exitCodeForRun(outcome));
    },
  );

  const clone = withRunFlags(
    image
      .command("clone")
      .description(
        "create N copy-on-write overlays of a base image (relative backing path); the base and every file below it in its backing chain made read-only",
      )
      .addHelpText("after", examples("mudanza image clone base.qcow2 --count 3 --name 'lab{n}' --dry-run"))
      .argument("<base>", "the base image (qcow2)")
      .option("--count <n>", "how many clones (required)", int("--count"))
      .option(
        "--name <pattern>",
        "clone names, {n} is the number; each file is NAME.qcow2, with or without .qcow2 in the pattern",
        "clone{n}",
      )
      .option("--start <n>", "first number", int("--start"), 1)
      .option("--out-dir <dir>", "where the overlays go (default: the base's folder)")
      .option("--define", "define a libvirt domain per clone (virtio disk and NIC)")
      .option("--bridge <name>", "host bridge for the clones' NIC", "br0")
      .option("--memory <size>", "RAM of each defined domain", "1G")
      .option("--vcpus <n>", "vCPUs of each defined domain", int("--vcpus"), 1)
      .option("--connect <uri>", "libvirt URI", "qemu:///system"),
  );
  requiredAfterArguments(clone, "--count").action(
    async (
      base: string,
      opts: CommonFlags & {
        count: number;
        name: string;
        start: number;
        outDir?: string;
        define?: boolean;
        bridge: string;
        memory: string;
        vcpus: number;
        connect: string;
      },
    ) => {
      const { validateCloneOptions } = await import("../../plan/options/image-clone.js");
      const { buildImageClone } = await import("../../pipelines/image-clone/pipeline.js");
      const plan = validateCloneOptions({
        base,
        count: opts.count,
        namePattern: opts.name,
        start: opts.start,
        outDir: opts.outDir,
        define: Boolean(opts.define),
        bridge: opts.bridge,
        memoryBytes: parseMemorySize(opts.memory, "--memory"),
        vcpus: opts.vcpus,
        uri: libvirtUri(opts.connect),
      });
      await requireInputFile(plan.base, "base image");
      const argv = [
        "image",
        "clone",
        plan.base,
        "--count",
        String(plan.count),
        "--name",
        plan.namePattern,
        "--start",
        String(plan.start),
        "--out-dir",
        plan.outDir,
        ...(plan.define ? ["--define"] : []),
        "--bridge",
        plan.bridge,
        "--memory",
        opts.memory,
        "--vcpus",
        String(plan.vcpus),
        "--connect",
        plan.uri,
      ];
      const { runLocalPipeline } = await import("../run-local-pipeline.js");
      const { cloneRecordsIn } = await import("../../pipelines/image-sparsify/clone-records.js");
      const pipeline = buildImageClone(cloneRecordsIn(resolveStateDir(opts.stateDir)));
      const outcome = await runLocalPipeline("image-clone", pipeline, plan, opts, argv, {
        takesRestart: true,
        lockImage: plan.base,
      });
      if (outcome.status === "done" && !opts.json) {
        const { cloneSummary } = await import("../clone-summary.js");
        process.stdout.write((await cloneSummary(plan)) + "\n");
      }
      setExit(exitCodeForRun(outcome));
    },
  );

  image
    .command("info")
    .description("show a disk's backing chain and the space each file really takes")
    .addHelpText(
      "after",
      examples(
        "mudanza image info lab1.qcow2",
        "mudanza image info lab1.qcow2 --format json   # the chain as JSON (mudanza schema image-info)",
      ),
    )
    .argument("<disk>", "the disk image")
    .addOption(
      new Option("--format <format>", "text, or json: the chain as one JSON document (mudanza schema image-info)")
        .choices(["text", "json"])
        .default("text"),
    )
    .option("--json", "print the check's events as NDJSON, one per line (and nothing else)")
    .action(async (disk: string, opts: { format: "text" | "json"; json?: boolean }) => {
      if (opts.json && opts.format === "json")
        throw new BadInputError("--json (the events) and --format json (the chain) both want stdout: choose one");
      const { imageInfoCommand } = await import("../image-info-command.js");
      setExit(await imageInfoCommand(disk, opts));
    });
}
