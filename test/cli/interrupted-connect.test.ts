import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { pipelineEventSchema } from "../../src/engine/events.js";
import { CLI_PROCESS_TEST_TIMEOUT } from "../support/timeouts.js";
import { startCli } from "../support/cli-process.js";

let dir = "";
let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  if (server) await new Promise((done) => server!.close(done));
  server = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = "";
});

/**
 * A loopback port that accepts connections and never says a word (a host whose sshd hangs, or a firewall
 * that lets the TCP handshake through): resolves with its port, and `connected` once both hosts reached it.
 */
async function silentPort(): Promise<{ port: number; connected: Promise<void> }> {
  let reached: () => void;
  const connected = new Promise<void>((done) => (reached = done));
  server = createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => {});
    if (sockets.length === 2) reached();
  });
  await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
  return { port: (server.address() as { port: number }).port, connected };
}

/** The CLI's run of a plan whose two hosts are that silent port, interrupted once both connections are open. */
async function interruptedWhileConnecting(signal: "SIGINT" | "SIGTERM", flags: string[]) {
  dir = await mkdtemp(join(tmpdir(), "mudanza-connect-"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "key")]);
  const { port, connected } = await silentPort();
  // A handshake timeout far beyond the test's: only the interrupt can end this run in time.
  const host = `{host: 127.0.0.1, port: ${port}, identityFile: ${join(dir, "key")}, connectTimeoutSec: 600}`;
  const plan = join(dir, "plan.yaml");
  await writeFile(plan, `kind: openvz-to-kvm\nsource: ${host}\ntarget: ${host}\n`);
  const { child, output, ended } = startCli(["run", plan, "--state-dir", join(dir, "state"), ...flags], {
    env: { ...process.env, MUDANZA_FROM_SOURCE: "1", CI: "1" },
  });
  await Promise.race([connected, ended]);
  child.kill(signal);
  return { code: (await ended).code, ...output };
}

describe("Ctrl-C or SIGTERM while a host does not answer the ssh handshake (found by a new-user trial)", () => {
  it(
    "ends the run at once as interrupted (exit 130), not after the handshake's timeout as unreachable",
    { timeout: CLI_PROCESS_TEST_TIMEOUT },
    async () => {
      const { code, stderr } = await interruptedWhileConnecting("SIGINT", ["--yes"]);
      expect({ code, stderr }).toMatchObject({ code: 130 });
      expect(stderr).toContain("interrupted by SIGINT");
      expect(stderr).not.toContain("no ssh handshake");
    },
  );

  it(
    "--json: SIGTERM ends with a pipeline-end event of status interrupted and exit code 143",
    { timeout: CLI_PROCESS_TEST_TIMEOUT },
    async () => {
      const { code, stdout } = await interruptedWhileConnecting("SIGTERM", ["--yes", "--json"]);
      expect(code).toBe(143);
      const events = stdout
        .trim()
        .split("\n")
        .map((line) => pipelineEventSchema.parse(JSON.parse(line)));
      expect(events.at(-1)).toMatchObject({
        type: "pipeline-end",
        status: "interrupted",
        signal: "SIGTERM",
        exitCode: 143,
      });
    },
  );
});
