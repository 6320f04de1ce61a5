import type { Command } from "commander";
import { BadInputError } from "../../errors.js";
import type { ExitSetter } from "../program.js";
import { examples } from "../examples.js";
import { demoAgainAdvice } from "../demo-again.js";

/**
 * `mudanza demo`: builds (or reuses) the local lab — an OpenVZ-like container and a QEMU VM on this
 * machine — writes a plan that migrates one into the other, runs it, and tears the lab down.
 */
export function registerDemo(program: Command, setExit: ExitSetter): void {
  program
    .command("demo")
    .description(
      "build (or reuse) a local lab, an OpenVZ-like container and a QEMU VM, and migrate one into the other (needs root)",
    )
    .addHelpText("after", examples("sudo mudanza demo --yes --skip-pre-update"))
    .option("-y, --yes", "accept every gate without asking")
    .option("--json", "print events as NDJSON, one per line")
    .option("--skip-pre-update", "skip step 1 (update and reboot both hosts) to save a few minutes")
    .option("--keep", "keep the lab running after the migration until Ctrl-C, to look around over SSH")
    .action(async (opts: { yes?: boolean; json?: boolean; skipPreUpdate?: boolean; keep?: boolean }) => {
      // Before the lab boots (half a minute or more), not after it (found by a new-user trial: `npm run demo | tee`).
      const { resolveRunMode } = await import("../drive-pipeline.js");
      resolveRunMode(opts, "run it in a terminal");
      const { labProblems } = await import("../../lab/prerequisites.js");
      const problems = labProblems();
      if (problems.length > 0) throw new BadInputError(`the demo lab cannot run here:\n  - ${problems.join("\n  - ")}`);
      const { Lab } = await import("../../lab/lab.js");
      const lab = await Lab.start({ planOptions: opts.skipPreUpdate ? { skipPreUpdate: true } : undefined });
      try {
        process.stderr.write(`[lab] plan: ${lab.planPath}\n`);
        const { runCommand } = await import("../run-command.js");
        const code = await runCommand(lab.planPath, {
          yes: opts.yes,
          json: opts.json,
          stateDir: lab.stateDir,
          restart: true,
          // Without --keep the finally below removes the plan, its state dir and the hosts.
          insteadOfResuming: opts.keep ? undefined : (declinedStepId) => demoAgainAdvice(declinedStepId, opts),
        });
        setExit(code);
        if (opts.keep) {
          process.stderr.write(
            [
              "[lab] still running; Ctrl-C tears it down. Look around:",
              `  ssh ${lab.source.argv("").slice(0, -1).join(" ")}    # the source container`,
              `  ssh ${lab.target.argv("").slice(0, -1).join(" ")}    # the VM (its known_hosts entry is the VM's own key: after the copy it presents the source's)`,
              // This process holds the terminal until Ctrl-C, which takes the lab with it.
              ...(code === 0
                ? []
                : [
                    "[lab] a resume command in the end above works from another terminal (as root) while this one waits",
                  ]),
              "",
            ].join("\n"),
          );
          await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
        }
      } finally {
        await lab.stop();
      }
    });
}
