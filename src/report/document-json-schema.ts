import { z } from "zod";

/** A `--format json` document's zod schema as JSON Schema (draft 7), titled, as `mudanza schema NAME` prints it. */
export function documentJsonSchema(schema: z.ZodType, title: string): Record<string, unknown> {
  return { ...z.toJSONSchema(schema, { target: "draft-7" }), title };
}
