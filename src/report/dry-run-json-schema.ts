import { dryRunReportSchema } from "./dry-run-schema.js";
import { documentJsonSchema } from "./document-json-schema.js";

/** The JSON Schema of `run --dry-run --format json`, as `mudanza schema dry-run-report` prints it. */
export function dryRunReportJsonSchema(): Record<string, unknown> {
  return documentJsonSchema(dryRunReportSchema, "mudanza dry-run report (run --dry-run --format json)");
}
