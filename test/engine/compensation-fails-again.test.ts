import { rm } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { ExecResult, Host } from "../../src/hosts/host.js";
import { Journal } from "../../src/journal/journal.js";
import { pendingCompensationFailure, runCompensations } from "../../src/engine/runner.js";
import { tempStateDir } from "../support/run-demo.js";

let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

/** A host on which every command fails as a reinstalled source would: the unit is gone. */
const failingHost = {
  exec: async (): Promise<ExecResult> => ({ code: 5, stdout: "", stderr: "Unit mariadb.service not found.\n" }),
} as unknown as Host;

describe("a pending compensation that fails again (found by a new-user trial)", () => {
  it("names what failed, where, the command and the way out, with secrets redacted", async () => {
    const stateDir = await tempStateDir();
    dirs.push(stateDir);
    const journal = await Journal.open({
      stateDir,
      migrationId: "m1",
      kind: "openvz-to-kvm",
      planPath: "/p.yaml",
      planHash: "h",
    });
    try {
      await journal.addCompensation({
        id: "start-db",
        title: "start the databases again",
        host: "source",
        command: "systemctl start mariadb.service; echo password=hunter2",
        registeredBy: "db-freeze",
      });
      const outcome = await runCompensations(journal, { source: failingHost }, () => undefined);
      expect(outcome.ok).toBe(false);
      const message = pendingCompensationFailure(journal, outcome.failed);
      expect(message).toContain('"start the databases again" on the source');
      expect(message).toContain("systemctl start mariadb.service");
      expect(message).toContain("exit 5: Unit mariadb.service not found.");
      expect(message).not.toContain("hunter2");
      expect(message).toContain(`remove the journal ${journal.path}`);
      // still pending: the next run tries again
      expect(journal.snapshot.compensations.map((c) => c.id)).toEqual(["start-db"]);
    } finally {
      await journal.close();
    }
  });
});
