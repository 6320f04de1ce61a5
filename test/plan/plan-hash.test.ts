import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { Journal } from "../../src/journal/journal.js";
import { canonicalJson } from "../../src/plan/canonical-json.js";
import { parsePlan } from "../../src/plan/load.js";

const written = `kind: openvz-to-kvm
name: web1
source: { host: old.example.org }
target: { host: new.example.org, user: admin, sudo: true }
options: { maxLivePasses: 3 }
`;

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe("the plan hash is taken from what the user wrote", () => {
  it("is the hash of the YAML as written, before any default is filled in", () => {
    const loaded = parsePlan(written, "/plans/web1.yaml");
    expect(loaded.plan.source.port).toBe(22); // defaults are applied to the plan itself
    // A default added by a later version cannot change this: only the user's own keys are in it.
    expect(loaded.hash).toBe(sha256(canonicalJson(parse(written))));
    expect(loaded.hash).not.toBe(sha256(canonicalJson(loaded.plan)));
  });

  it("a journal started by a version that hashed after defaults still resumes, and is rewritten with the new hash", async () => {
    const stateDir = await mkdtemp(join(tmpdir(), "mudanza-state-"));
    dirs.push(stateDir);
    await mkdir(stateDir, { recursive: true });
    const loaded = parsePlan(written, "/plans/web1.yaml");
    const old = {
      version: 1,
      migrationId: "web1",
      kind: "openvz-to-kvm",
      planPath: "/plans/web1.yaml",
      planHash: loaded.formerHashes[0],
      createdAt: "2026-01-01T00:00:00Z",
      updatedAt: "2026-01-01T00:00:00Z",
      steps: { "pre-update": { status: "done", attempts: 1 } },
      facts: {},
      compensations: [],
      compensationLog: [],
      runs: [],
    };
    await writeFile(Journal.pathFor(stateDir, "web1"), JSON.stringify(old));
    const journal = await Journal.open({
      stateDir,
      migrationId: "web1",
      kind: "openvz-to-kvm",
      planPath: "/plans/web1.yaml",
      planHash: loaded.hash,
      formerPlanHashes: loaded.formerHashes,
    });
    expect(journal.resumed).toBe(true);
    await journal.save();
    await journal.close();
    expect((await Journal.read(Journal.pathFor(stateDir, "web1")))!.planHash).toBe(loaded.hash);
    // An edit is still an edit.
    const edited = parsePlan(written.replace("maxLivePasses: 3", "maxLivePasses: 4"), "/plans/web1.yaml");
    await expect(
      Journal.open({
        stateDir,
        migrationId: "web1",
        kind: "openvz-to-kvm",
        planPath: "/plans/web1.yaml",
        planHash: edited.hash,
        formerPlanHashes: edited.formerHashes,
      }),
    ).rejects.toThrow(/changed since/);
  });
});
