import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/program.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-unreach-"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "key")]);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A local port nobody listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function dryRun(source: string): Promise<{ code: number; stderr: string }> {
  const plan = join(dir, "plan.yaml");
  await writeFile(
    plan,
    `kind: openvz-to-kvm\nsource: {${source}, identityFile: ${join(dir, "key")}, connectTimeoutSec: 10}\ntarget: {host: 127.0.0.1}\n`,
  );
  let stderr = "";
  const code = await main(["run", plan, "--dry-run", "--state-dir", join(dir, "state")], (t) => {
    stderr += t;
  });
  return { code, stderr };
}

describe("a host that cannot be reached", () => {
  it("exits 3 whether its name does not resolve or its port refuses", async () => {
    const unresolved = await dryRun("host: nothing.invalid"); // .invalid never resolves (RFC 6761)
    expect(unresolved.stderr).toContain("cannot resolve host name nothing.invalid");
    expect(unresolved.code).toBe(3);
    const refused = await dryRun(`host: 127.0.0.1, port: ${await closedPort()}`);
    expect(refused.stderr).toContain("ECONNREFUSED");
    expect(refused.code).toBe(3);
  });
});
