import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { pipelineEventSchema } from "../../src/engine/events.js";
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

async function dryRun(
  source: string,
  target = "host: 127.0.0.1",
  flags: string[] = [],
): Promise<{ code: number; stderr: string }> {
  const plan = join(dir, "plan.yaml");
  const key = `identityFile: ${join(dir, "key")}, connectTimeoutSec: 10`;
  await writeFile(plan, `kind: openvz-to-kvm\nsource: {${source}, ${key}}\ntarget: {${target}, ${key}}\n`);
  let stderr = "";
  const code = await main(["run", plan, "--dry-run", "--state-dir", join(dir, "state"), ...flags], (t) => {
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
    expect(refused.stderr).toContain("connection refused: is sshd running there, on that port? [ECONNREFUSED]");
    expect(refused.code).toBe(3);
  });

  it("a port that is another service's (it answers, then closes) is named as such (found by a new-user trial)", async () => {
    // as an HTTP server answers the SSH version line it reads as a request
    const web = createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => socket.end("HTTP/1.0 400 Bad request\r\n\r\n"));
    });
    await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = web.address() as { port: number };
      const other = await dryRun(`host: 127.0.0.1, port: ${port}`);
      expect(other.stderr).toContain(
        `source: cannot connect to root@127.0.0.1 port ${port}: the server closed the connection before any SSH handshake: is that port sshd's, not another service's?`,
      );
      expect(other.code).toBe(3);
    } finally {
      await new Promise((resolve) => web.close(resolve));
    }
  });

  it("names every host that cannot be reached, not only the first", async () => {
    const [sourcePort, targetPort] = [await closedPort(), await closedPort()];
    const both = await dryRun(`host: 127.0.0.1, port: ${sourcePort}`, `host: nothing.invalid, port: ${targetPort}`);
    expect(both.stderr).toMatch(new RegExp(`source: cannot connect to root@127\\.0\\.0\\.1 port ${sourcePort}: `));
    expect(both.stderr).toContain("target: cannot resolve host name nothing.invalid");
    expect(both.code).toBe(3);
  });

  it("--json: ends with a pipeline-end event saying why, and the exit code", async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    let result: { code: number; stderr: string };
    try {
      result = await dryRun(`host: 127.0.0.1, port: ${await closedPort()}`, "host: nothing.invalid", ["--json"]);
    } finally {
      spy.mockRestore();
    }
    const events = written
      .join("")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "pipeline-end", status: "blocked", exitCode: 3, version: 1 });
    expect(events[0]!.message).toMatch(
      /^source: cannot connect .*\ntarget: cannot resolve host name nothing\.invalid/s,
    );
    expect(pipelineEventSchema.safeParse(events[0]).success).toBe(true);
    // Nothing was written: no journal to follow, and no dry-run report (a dry run that checked names its file).
    expect(events[0]!.journal).toBeUndefined();
    expect(events[0]!.report).toBeUndefined();
    expect(result.code).toBe(3);
  });
});
