import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/program.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-checkpoints-cli-"));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

describe("mudanza checkpoints PLAN", () => {
  it("a QMP socket that is not there blocks (exit 3) with the sentence, not a crash (exit 70)", async () => {
    const socket = join(dir, "nosock");
    const plan = join(dir, "cp.yaml");
    await writeFile(
      plan,
      [
        "kind: openvz-to-kvm",
        "name: web1",
        "source: {host: 127.0.0.1, port: 1}",
        "target: {host: 127.0.0.1, port: 2}",
        `checkpoints: {target: {via: qmp, socket: ${JSON.stringify(socket)}}}`,
        "",
      ].join("\n"),
    );
    let out = "";
    let err = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
    const code = await main(["checkpoints", plan], (t) => {
      err += t;
    });
    vi.restoreAllMocks();
    expect(code).toBe(3);
    expect(err).toContain(`cannot connect to the QMP socket ${socket}`);
    expect(err).not.toContain("internal error");
    expect(out).toBe("");
  });
});
