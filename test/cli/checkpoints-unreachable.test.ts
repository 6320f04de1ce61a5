import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { runMain } from "../support/main-cli.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs();
let dir: string;
beforeEach(async () => {
  dir = await tempDir("mudanza-checkpoints-cli-");
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
    const { code, out, err } = await runMain(["checkpoints", plan]);
    expect(code).toBe(3);
    expect(err).toContain(`cannot connect to the QMP socket ${socket}: no such socket: is the VM running`);
    // the words first, the code last, for searching
    expect(err).toMatch(/Check the plan's checkpoints socket \(ENOENT\)$/m);
    expect(err).not.toContain("internal error");
    expect(out).toBe("");
  });
});
