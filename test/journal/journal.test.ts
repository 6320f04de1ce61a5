import { spawn } from "node:child_process";
import { readFile, stat, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { BlockedError } from "../../src/errors.js";
import { Journal } from "../../src/journal/journal.js";
import { processStartTime } from "../../src/hosts/process-identity.js";
import { findSecret } from "../../src/journal/secrets.js";
import { tempStateDir } from "../support/run-demo.js";

const open = (stateDir: string, extra: Partial<Parameters<typeof Journal.open>[0]> = {}) =>
  Journal.open({ stateDir, migrationId: "m1", kind: "demo", planPath: "p.yaml", planHash: "h", ...extra });

describe("journal", () => {
  it("writes mode 0600 JSON that a fresh reader sees after every change", async () => {
    const stateDir = await tempStateDir();
    const journal = await open(stateDir);
    await journal.updateStep("a", { status: "running" });
    await journal.setFact("network", { files: ["/etc/network/interfaces"] });
    const path = Journal.pathFor(stateDir, "m1");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const read = await Journal.read(path);
    expect(read!.steps.a!.status).toBe("running");
    expect(read!.facts.network).toEqual({ files: ["/etc/network/interfaces"] });
    await journal.close();
  });

  it("refuses a second run of the same migration while the first holds the lock", async () => {
    const stateDir = await tempStateDir();
    const holder = spawn("sleep", ["30"]);
    try {
      await writeFile(
        `${Journal.pathFor(stateDir, "m1")}.lock`,
        JSON.stringify({
          pid: holder.pid,
          startTime: processStartTime(holder.pid!),
          since: "2026-12-01T15:00:00.000Z",
          command: "mudanza run web1.yaml --yes",
        }),
      );
      await expect(open(stateDir)).rejects.toBeInstanceOf(BlockedError);
      await expect(open(stateDir)).rejects.toThrow(
        /running since 2026-12-01T15:00:00.000Z \(mudanza run web1.yaml --yes\)/,
      );
      await expect(open(stateDir)).rejects.toThrow(new RegExp(`pid ${holder.pid}`));
    } finally {
      holder.kill();
    }
  });

  it("takes over a lock left by a dead process", async () => {
    const stateDir = await tempStateDir();
    const dead = spawn("true");
    await new Promise((resolve) => dead.on("exit", resolve));
    const lockPath = `${Journal.pathFor(stateDir, "m1")}.lock`;
    await writeFile(lockPath, `${dead.pid}\n`);
    const journal = await open(stateDir);
    expect(JSON.parse(await readFile(lockPath, "utf8"))).toMatchObject({
      pid: process.pid,
      startTime: processStartTime(process.pid),
    });
    await journal.close();
  });

  it("never stores key material or passwords", async () => {
    const stateDir = await tempStateDir();
    const journal = await open(stateDir);
    const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
    await expect(journal.setFact("k", { content: key })).rejects.toThrow(/private key/);
    await expect(journal.setFact("login", { user: "root", password: "hunter2" })).rejects.toThrow(/secret/);
    await expect(
      journal.addCompensation({ id: "c", title: "t", host: "source", command: `echo '${key}'`, registeredBy: "s" }),
    ).rejects.toThrow(/private key/);
    const text = await readFile(Journal.pathFor(stateDir, "m1"), "utf8").catch(() => "");
    expect(text).not.toContain("PRIVATE KEY");
    expect(text).not.toContain("hunter2");
    expect(findSecret({ publicKey: "ssh-ed25519 AAAAC3Nza root@x" })).toBeNull();
    await journal.close();
  });
});
