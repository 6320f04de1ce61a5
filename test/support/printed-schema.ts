// ajv is eslint's dependency, so it is installed with the dev dependencies: an independent validator reads
// the printed schema, not zod again.
import Ajv, { type ValidateFunction } from "ajv";
import { expect } from "vitest";

/** A validator of the JSON Schema as `mudanza schema NAME` printed it. */
export function validatorOf(printed: string): ValidateFunction {
  return new Ajv({ allErrors: true }).compile(JSON.parse(printed) as object);
}

/**
 * `mudanza schema NAME`, run in this process, as a validator. The CLI is imported when asked, not with this file:
 * a test that mocks a module imports the CLI afresh after its mock (checkpoints-delete.test.ts), and gets that one.
 */
export async function printedSchema(name: string): Promise<ValidateFunction> {
  const { runMain } = await import("./main-cli.js");
  const { code, out } = await runMain(["schema", name]);
  expect(code).toBe(0);
  return validatorOf(out);
}

/** The document (JSON text as a command printed it) validates; ajv's errors say where it does not. */
export function expectValid(validate: ValidateFunction, printed: string): void {
  expect(validate(JSON.parse(printed)), JSON.stringify(validate.errors)).toBe(true);
}
