import { Argument, type Command } from "commander";
import { examples } from "../examples.js";
import type { ExitSetter } from "../program.js";

/**
 * What `mudanza schema` can print: the events and every `--format json` document (each carries its version).
 * Each loads zod and its schema only when asked.
 */
const SCHEMAS = {
  events: async () => (await import("../../engine/event-json-schema.js")).eventsJsonSchema(),
  "dry-run-report": async () => (await import("../../report/dry-run-json-schema.js")).dryRunReportJsonSchema(),
  "host-doctor": async () => (await import("../../steps/host-doctor/doctor-report.js")).doctorReportJsonSchema(),
  runs: async () => (await import("../../report/runs-schema.js")).runsJsonSchema(),
  status: async () => (await import("../../report/status-schema.js")).statusJsonSchema(),
  checkpoints: async () => (await import("../checkpoints-listing.js")).checkpointsJsonSchema(),
  "image-info": async () => (await import("../../steps/image/image-info-document.js")).imageInfoJsonSchema(),
} as const;

export const SCHEMA_NAMES = Object.keys(SCHEMAS) as Array<keyof typeof SCHEMAS>;

export function registerSchema(program: Command, setExit: ExitSetter): void {
  program
    .command("schema")
    .description(
      "print the JSON Schema of machine output: the --json event stream, or a --format json document (dry-run report, runs, status, checkpoints, image info, host doctor)",
    )
    .addHelpText(
      "after",
      examples(
        "mudanza schema events > events.schema.json",
        'mudanza run web1.yaml --yes --json | head -1   # every line carries "version"',
        "mudanza schema dry-run-report",
        "mudanza schema host-doctor",
        "mudanza schema runs      # of runs --format json: each document carries its version, as the events do",
      ),
    )
    .addArgument(new Argument("<name>", "which schema").choices(SCHEMA_NAMES))
    .action(async (name: keyof typeof SCHEMAS) => {
      process.stdout.write(JSON.stringify(await SCHEMAS[name](), null, 2) + "\n");
      setExit(0);
    });
}
