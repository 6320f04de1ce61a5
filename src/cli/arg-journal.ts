import { createHash } from "node:crypto";

/**
 * Commands that take no plan file (image, host) journal under an id derived from their arguments:
 * the same command line resumes the same journal, a different one starts its own.
 */
export function argumentJournal(
  kind: string,
  args: unknown,
  commandLine?: string,
): { migrationId: string; planHash: string; planPath: string } {
  const text = JSON.stringify(args);
  const hash = createHash("sha256").update(`${kind}\n${text}`).digest("hex");
  // `runs` and `status` show what stands in for the plan path: the command line tells two images apart.
  return {
    migrationId: `${kind}-${hash.slice(0, 12)}`,
    planHash: hash,
    planPath: `(arguments) ${commandLine ?? text}`,
  };
}
