import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
// ajv is eslint's dependency, so it is installed with the dev dependencies: an independent validator reads
// the printed schema, not zod again.
import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import { EVENTS_SCHEMA_VERSION } from "../../src/engine/event-wire.js";
import { DOCTOR_FINDINGS } from "../../src/steps/host-doctor/doctor-findings.js";
import { useTempDirs } from "../support/temp-dirs.js";

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/mudanza.js");
const PLAN = join(ROOT, "fixtures/plans/ovz-kvm-debian-12.yaml");
const tempDir = useTempDirs();

async function cli(...args: string[]): Promise<{ stdout: string; code: number }> {
  return exec(process.execPath, [BIN, ...args], { env: { ...process.env, CI: "1" }, maxBuffer: 64 << 20 }).then(
    (r) => ({ stdout: r.stdout, code: 0 }),
    (e: { stdout: string; code: number }) => ({ stdout: e.stdout, code: e.code }),
  );
}

async function printedValidator(name: string) {
  const { stdout, code } = await cli("schema", name);
  expect(code).toBe(0);
  return new Ajv({ allErrors: true }).compile(JSON.parse(stdout) as object);
}

describe("mudanza schema events (issue 14)", () => {
  it("every line of a --json run, and of its log, validates against the printed schema and carries the version", async () => {
    const validate = await printedValidator("events");
    const state = await tempDir("mudanza-schema-");
    const { stdout, code } = await cli("run", PLAN, "--yes", "--json", "--state-dir", state);
    expect([0, 1]).toContain(code);
    const logName = (await readdir(state)).find((f) => f.endsWith(".log.ndjson"));
    expect(logName).toBeDefined();
    const log = await readFile(join(state, logName!), "utf8");
    for (const text of [stdout, log]) {
      const lines = text.trimEnd().split("\n");
      expect(lines.length).toBeGreaterThan(10);
      for (const line of lines) {
        const event = JSON.parse(line) as { version?: unknown };
        expect(validate(event), `${line}\n${JSON.stringify(validate.errors)}`).toBe(true);
        expect(event.version).toBe(EVENTS_SCHEMA_VERSION);
      }
    }
    // The schema can say no: a line without its version, or of an unknown type, is refused.
    const first = JSON.parse(stdout.split("\n")[0]!) as Record<string, unknown>;
    expect(validate({ ...first, version: undefined })).toBe(false);
    expect(validate({ ...first, type: "no-such-event" })).toBe(false);
  });

  it("schema host-doctor prints the JSON Schema of host doctor --format json (new-user trial 10, finding 3)", async () => {
    const { stdout, code } = await cli("schema", "host-doctor");
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as { title: string; required: string[] };
    expect(printed.title).toBe("mudanza host doctor report (host doctor --format json)");
    expect(printed.required).toEqual(
      expect.arrayContaining(["version", "virtualization", "libvirt", "memory", "ksm", "findings"]),
    );
    // Each finding's stable id, required and one of the doctor's (new-user trial, finding 12).
    const finding = (
      printed as unknown as {
        properties: { findings: { items: { required: string[]; properties: { id: { enum: string[] } } } } };
      }
    ).properties.findings.items;
    expect(finding.required).toContain("id");
    expect(finding.properties.id.enum).toEqual(Object.keys(DOCTOR_FINDINGS));
  });

  it("a dry run's --json stream validates too, and its --format json report validates against schema dry-run-report", async () => {
    const events = await printedValidator("events");
    const state = await tempDir("mudanza-schema-");
    const dry = await cli("run", PLAN, "--dry-run", "--json", "--state-dir", state);
    expect(dry.code).toBe(0);
    for (const line of dry.stdout.trimEnd().split("\n")) expect(events(JSON.parse(line))).toBe(true);
    const report = await printedValidator("dry-run-report");
    const json = await cli("run", PLAN, "--dry-run", "--format", "json", "--state-dir", state);
    expect(report(JSON.parse(json.stdout)), JSON.stringify(report.errors)).toBe(true);
    // The printed schema describes the risk lines, and says undo is never empty: a line says when nothing can
    // undo the run (new-user trial 7: an empty list read as "nothing to worry about")
    const printed = JSON.parse((await cli("schema", "dry-run-report")).stdout) as {
      properties: { risk: { description?: string; properties: Record<string, { description?: string }> } };
    };
    expect(printed.properties.risk.description).toMatch(/the same lines as the Markdown's Risk section, in plain text/);
    expect(printed.properties.risk.properties.undo?.description).toMatch(
      /Never empty: when nothing can undo the run, its line says so/,
    );
    expect(Object.keys(printed.properties.risk.properties)).toEqual(["changes", "overwrites", "freeze", "undo"]);
    const risk = (JSON.parse(json.stdout) as { risk: { undo: string[] } }).risk;
    expect(risk.undo).toEqual([expect.stringMatching(/^Nothing can undo this run/)]);
  });
});
