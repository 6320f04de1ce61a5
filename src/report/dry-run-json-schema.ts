import { z } from "zod";
import { dryRunReportSchema } from "./dry-run-schema.js";

/** The JSON Schema of `run --dry-run --format json`, as `mudanza schema dry-run-report` prints it. */
export function dryRunReportJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(dryRunReportSchema, { target: "draft-7" }),
    title: "mudanza dry-run report (run --dry-run --format json)",
  };
}
