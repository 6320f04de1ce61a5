import { expect } from "vitest";
import type { Lab } from "../../../src/lab/lab.js";

/**
 * What a finished migration must not leave (issue 11's fault matrix): the migration key in root's
 * authorized_keys on either host, the key pair's folder on the source, an rsync still running there.
 * Each command ends with `true`: an absent file or no match is the answer, not a failure.
 */
export async function assertNoMigrationLeftovers(lab: Lab): Promise<void> {
  const keyLines = "grep -c mudanza-migration-key /root/.ssh/authorized_keys 2>/dev/null; true";
  for (const [role, host] of [
    ["source", lab.source],
    ["target", lab.targetWithSourceKeys],
  ] as const) {
    expect((await host.run(keyLines)).trim(), `the migration key is still authorized on the ${role}`).toMatch(/^0?$/);
  }
  expect(
    (await lab.source.run("test -e /root/.mudanza-migrate && echo present; true")).trim(),
    "the migration key pair is still on the source",
  ).toBe("");
  expect(
    (await lab.source.run("cat /proc/[0-9]*/comm 2>/dev/null | grep -cx rsync; true")).trim(),
    "an rsync still runs on the source",
  ).toMatch(/^0?$/);
}
