import { z } from "zod";

/**
 * Values from a plan that end up on an ssh command line, in known_hosts or in an rsync target: a
 * leading dash would be read as an option, whitespace or a newline would split the value (a newline
 * adds a line to the migration's known_hosts), control characters could rewrite the terminal.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\s\u0000-\u001f\u007f-\u009f]/;

export function safeArgumentSchema(what: string, max: number) {
  return z
    .string()
    .min(1)
    .max(max)
    .superRefine((value, ctx) => {
      if (value.startsWith("-"))
        ctx.addIssue({ code: "custom", message: `a ${what} cannot start with "-" (it would be read as an option)` });
      else if (UNSAFE.test(value))
        ctx.addIssue({ code: "custom", message: `a ${what} cannot hold whitespace or control characters` });
    });
}

export const hostNameSchema = safeArgumentSchema("host name or address", 253);
export const userNameSchema = safeArgumentSchema("user name", 64);
