/**
 * SshHost against a real OpenSSH sshd on loopback (test/support/sshd.ts): commands, quoting, timeouts,
 * parallel sessions, files, every host key verdict, reconnect, ProxyJump, sudo, ssh-agent.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, stat as localStat } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { execa } from "execa";
import { Client } from "ssh2";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { BadInputError, BlockedError } from "../../src/errors.js";
import { FileNotFoundError } from "../../src/hosts/host.js";
import { cmd, sh } from "../../src/hosts/quote.js";
import { HostKeyError, SshAuthError, SshUnreachableError } from "../../src/hosts/ssh/errors.js";
import { SshHost } from "../../src/hosts/ssh/ssh-host.js";
import { endpointSchema, type Endpoint } from "../../src/plan/endpoint.js";
import { isolateSshClient } from "../support/ssh-client-isolation.js";
import { startSshd, type TestSshd } from "../support/sshd.js";
import { REAL_HOST_TEST_TIMEOUT } from "../support/timeouts.js";

let sshd: TestSshd;
let knownHosts: string;
const open: SshHost[] = [];
let restoreSshClient: (() => void) | undefined;

function endpoint(overrides: Record<string, unknown> = {}): Endpoint {
  return endpointSchema.parse({
    host: "127.0.0.1",
    port: sshd.port,
    user: "root",
    identityFile: sshd.userKey,
    knownHostsFile: knownHosts,
    connectTimeoutSec: 10,
    ...overrides,
  });
}

async function connect(overrides: Record<string, unknown> = {}, role = "source"): Promise<SshHost> {
  const host = await SshHost.connect(endpoint(overrides), role);
  open.push(host);
  return host;
}

async function connectError(overrides: Record<string, unknown>): Promise<Error> {
  const error = await connect(overrides).then(
    () => new Error("connected, but should have been refused"),
    (e: Error) => e,
  );
  return error;
}

beforeAll(async () => {
  sshd = await startSshd({ listen: ["127.0.0.1", "127.0.0.2"] });
  knownHosts = await sshd.writeFile("known_hosts", `${sshd.knownHostsLine()}\n`);
  restoreSshClient = await isolateSshClient(sshd.dir);
});

afterEach(async () => {
  for (const host of open.splice(0)) await host.close();
});

afterAll(async () => {
  restoreSshClient?.();
  await sshd?.stop();
});

describe("commands", { timeout: REAL_HOST_TEST_TIMEOUT }, () => {
  it("runs a command with exit code, output and the verified fingerprint", async () => {
    const host = await connect();
    const result = await host.exec("echo out; echo err >&2; exit 3");
    expect(result).toMatchObject({ code: 3, stdout: "out\n", stderr: "err\n" });
    expect(host.hostKeyFingerprint).toBe(sshd.hostKeys[0]!.fingerprint);
    expect(host.hostKeyType).toBe("ssh-ed25519");
    expect(host.address).toBe(`root@127.0.0.1:${sshd.port}`);
  });

  it("streams lines while the command is still running", async () => {
    const host = await connect();
    const seen: Array<{ line: string; at: number }> = [];
    const started = Date.now();
    const result = await host.exec("echo one; sleep 1; printf 'two\\r'; echo three >&2; printf 'no newline'", {
      onStdout: (line) => seen.push({ line, at: Date.now() - started }),
      onStderr: (line) => seen.push({ line: `err:${line}`, at: Date.now() - started }),
    });
    const finished = Date.now() - started;
    // stdout and stderr are separate streams: their relative order is not defined, each one's is.
    expect(seen.map((s) => s.line).sort()).toEqual(["err:three", "no newline", "one", "two"]);
    expect(seen[0]!.line).toBe("one");
    expect(finished - seen[0]!.at).toBeGreaterThan(700); // "one" arrived a second before the end
    expect(result.stdout).toBe("one\ntwo\rno newline");
  });

  it("round-trips hostile arguments byte for byte through shellQuote", async () => {
    const host = await connect();
    const marker = join(sshd.dir, "pwned");
    const hostile = [
      "it's",
      `"double"`,
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      "a\nb",
      "  spaces  ",
      "*",
      "/*",
      "?",
      "[a-z]",
      "\\",
      "-n",
      "",
      "; touch " + marker,
      "$HOME",
      "!",
      "&&",
      "|",
      "~",
      "\t",
      "ünï©ødé ✓",
      "'$(x)'\"`y`\"",
    ];
    const result = await host.exec(cmd("printf", "%s\\0", ...hostile));
    expect(result.code).toBe(0);
    expect(result.stdout.split("\0").slice(0, -1)).toEqual(hostile);
    const viaTemplate = await host.exec(sh`printf '%s\\0' ${hostile}`);
    expect(viaTemplate.stdout.split("\0").slice(0, -1)).toEqual(hostile);
    expect(existsSync(marker)).toBe(false);
  });

  it("passes stdin and closes it", async () => {
    const host = await connect();
    expect((await host.exec("wc -c", { stdin: "héllo\n" })).stdout.trim()).toBe("7");
    expect((await host.exec("cat")).stdout).toBe(""); // no stdin: EOF at once, no hang
    // Given later: the session runs with stdin open (it is given only once the command said it runs).
    let give!: (text: string) => void;
    const later = await host.exec('echo ready; read -r word; echo "got $word"', {
      stdin: new Promise<string>((resolve) => (give = resolve)),
      onStdout: (line) => line === "ready" && give("go\n"),
    });
    expect(later.stdout).toBe("ready\ngot go\n");
  });

  it("kills a command on timeout and on abort", async () => {
    const host = await connect();
    const started = Date.now();
    const result = await host.exec("sleep 31.25", { timeoutMs: 400 });
    expect(result).toMatchObject({ code: -1, timedOut: true });
    // returns long before the 31 s sleep would end (TERM, KILL after 2 s, stop waiting 2 s later)
    expect(Date.now() - started).toBeLessThan(20_000);
    await expectNoProcess("31.25");

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const aborted = await host.exec("sleep 32.25", { signal: controller.signal });
    expect(aborted).toMatchObject({ code: -1, aborted: true });
    await expectNoProcess("32.25");

    // A compound command: the shell's child must die too, not only the shell.
    const compound = await host.exec("sleep 33.25; echo not reached", { timeoutMs: 400 });
    expect(compound).toMatchObject({ code: -1, timedOut: true, stdout: "" });
    await expectNoProcess("33.25");
    expect((await host.exec("echo still usable")).stdout).toBe("still usable\n");
    // A stop that found its command running removes its cancel marker; one that came before the command's
    // session started leaves it, in the session's TMPDIR (the server's folder): never in /tmp.
    const inTmp = (await readdir("/tmp")).filter((name) => name.startsWith(".mudanza-cancelled-"));
    for (const name of inTmp) expect((await localStat(join("/tmp", name))).mtimeMs).toBeLessThan(started);
  }, 120_000);

  // (That output re-arms the watchdog is tested on LocalHost: the same SilenceWatchdog, without sshd's
  // session start-up time, which has no upper bound on a loaded machine, inside the window.)
  it("the silence watchdog stops a command that goes quiet, and what it started", async () => {
    const host = await connect();
    const quiet = await host.exec("echo starting; sleep 34.25", { silenceTimeoutMs: 2000 });
    expect(quiet.code).toBe(-1);
    expect(quiet.silentMs).toBeGreaterThanOrEqual(2000);
    await expectNoProcess("34.25");
  }, 60_000);

  it("runs more commands at once than sshd's MaxSessions on one connection", async () => {
    const host = await connect();
    // A barrier instead of a stopwatch: each command marks its start, then waits (up to 20 s) until 8
    // have started. Run one by one, the first would see only itself; 8 at once all see 8.
    const dir = join(sshd.dir, "barrier");
    await mkdir(dir);
    const barrier = (i: number): string =>
      `touch ${dir}/${i}; n=0; while [ "$(ls ${dir} | wc -l)" -lt 8 ] && [ $n -lt 200 ]; do sleep 0.1; n=$((n+1)); done; echo ${i} "$(ls ${dir} | wc -l)"`;
    const results = await Promise.all(Array.from({ length: 14 }, (_, i) => host.exec(barrier(i))));
    expect(results.map((r) => r.stdout.trim().split(" ")[0])).toEqual(Array.from({ length: 14 }, (_, i) => String(i)));
    for (const r of results) expect(Number(r.stdout.trim().split(" ")[1]), r.stdout).toBeGreaterThanOrEqual(8);
  }, 120_000);
});

describe("round trips", { timeout: REAL_HOST_TEST_TIMEOUT }, () => {
  it("every connection sends without Nagle's delay (a command's small packets do not wait for the peer's delayed ACK)", async () => {
    const noDelay = vi.spyOn(Client.prototype, "setNoDelay");
    try {
      const host = await connect();
      expect((await host.exec("echo ok")).stdout).toBe("ok\n");
      expect(noDelay).toHaveBeenCalledWith(true);
    } finally {
      noDelay.mockRestore();
    }
  });
});

describe("a dry run's batches (batchCommands)", { timeout: REAL_HOST_TEST_TIMEOUT }, () => {
  it("answers like a plain connection in the two shells it keeps, one turn's commands split over both; an abort stops one shell and what it runs", async () => {
    const plain = await connect();
    const batched = await SshHost.connect(endpoint(), "source", { batchCommands: true });
    open.push(batched);
    const commands = [
      "printf 'no newline'; exit 3",
      "printf 'x\\n\\n'; echo oops >&2; false",
      "exec sh -c 'echo replaced; exit 7'",
      "cat; echo read-nothing",
      "id -u",
    ];
    const answer = (r: { code: number; stdout: string; stderr: string }) => [r.code, r.stdout, r.stderr];
    // One after another: sessions started at once make root's shell start-up race on this machine
    // (pyenv's rehash in ~/.bashrc printed "cannot rehash" into one command's stderr under load).
    const expected = [];
    for (const c of commands) expected.push(await plain.exec(c));
    const got = await Promise.all(commands.map((c) => batched.exec(c)));
    expect(got.map(answer)).toEqual(expected.map(answer));
    expect(await batched.readFile("/etc/hostname")).toBe(await plain.readFile("/etc/hostname"));
    // stats asked together share one command (combined-stat.ts): each answer as a plain connection's
    const paths = ["/bin", "/etc/hostname", "/etc", "/nonexistent/mudanza"];
    const plainStats = [];
    for (const path of paths) plainStats.push(await plain.stat(path));
    expect(await Promise.all(paths.map((path) => batched.stat(path)))).toEqual(plainStats);
    // $$ in a subshell is its shell's: one turn's two commands ran in two shells, later turns reuse them
    const [left, right] = (await Promise.all([batched.exec("echo $$"), batched.exec("echo $$")])).map((r) => r.stdout);
    expect(left).toMatch(/^\d+\n$/);
    expect(right).toMatch(/^\d+\n$/);
    expect(right).not.toBe(left);
    const later = (await batched.exec("echo $$")).stdout;
    expect([left, right]).toContain(later);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const aborted = await batched.exec("sleep 35.25", { signal: controller.signal });
    expect(aborted).toMatchObject({ code: -1, aborted: true });
    await expectNoProcess("35.25");
    // that shell is gone: later batches go to the other one
    const afterAbort = (await batched.exec("echo $$")).stdout;
    expect([left, right]).toContain(afterAbort);
    expect(afterAbort).not.toBe(later);
    // and with both gone, on sessions of their own
    const again = new AbortController();
    setTimeout(() => again.abort(), 300);
    expect(await batched.exec("sleep 35.5", { signal: again.signal })).toMatchObject({ aborted: true });
    await expectNoProcess("35.5");
    expect((await batched.exec("echo still usable")).stdout).toBe("still usable\n");
  }, 120_000);
});

describe(
  "an abort followed at once by close (Ctrl-C: the CLI closes its hosts and exits)",
  { timeout: REAL_HOST_TEST_TIMEOUT },
  () => {
    it("still stops the aborted command on the host, on a plain session and in the dry run's kept shell", async () => {
      for (const [batchCommands, seconds] of [
        [false, "36.25"],
        [true, "37.25"],
      ] as const) {
        const host = await SshHost.connect(endpoint(), "source", { batchCommands });
        const controller = new AbortController();
        const running = host.exec(`sleep ${seconds}`, { signal: controller.signal });
        await waitForProcess(seconds);
        controller.abort();
        expect(await running).toMatchObject({ code: -1, aborted: true });
        await host.close();
        await expectNoProcess(seconds);
      }
    }, 120_000);
  },
);

describe("files", { timeout: REAL_HOST_TEST_TIMEOUT }, () => {
  it("writes, reads and stats files with modes, and reports absent ones", async () => {
    const host = await connect();
    const dir = join(sshd.dir, "files dir 'q'");
    await mkdir(dir);
    const path = join(dir, "cönfig $x.txt");
    const content = "ünïcode line\nsecond line\n";
    await host.writeFile(path, content, { mode: 0o640 });
    expect(await host.readFile(path)).toBe(content);
    expect(await readFile(path, "utf8")).toBe(content);
    expect((await localStat(path)).mode & 0o7777).toBe(0o640);
    expect(await host.stat(path)).toEqual({
      type: "file",
      mode: 0o640,
      size: Buffer.byteLength(content),
      uid: 0,
      gid: 0,
    });

    await host.writeFile(path, "replaced\n"); // no mode: keeps 0640
    expect(await readFile(path, "utf8")).toBe("replaced\n");
    expect((await localStat(path)).mode & 0o7777).toBe(0o640);
    expect((await readdir(dir)).sort()).toEqual(["cönfig $x.txt"]); // no temp file left

    await host.writeFile(join(dir, "new"), "x");
    expect((await host.stat(join(dir, "new")))?.mode).toBe(0o644);

    await host.exec(cmd("ln", "-s", "target with space", join(dir, "link")));
    expect(await host.stat(join(dir, "link"))).toMatchObject({ type: "symlink", linkTarget: "target with space" });
    expect(await host.stat(dir)).toMatchObject({ type: "dir" });
    expect(await host.stat(join(dir, "absent"))).toBeNull();
    await expect(host.readFile(join(dir, "absent"))).rejects.toBeInstanceOf(FileNotFoundError);
    await expect(host.readFile(dir)).rejects.toThrow(/exited 1/); // a directory is not absent
  });
});

describe("host keys", { timeout: REAL_HOST_TEST_TIMEOUT }, () => {
  it("refuses an unknown host key, naming host, fingerprint and how to add it", async () => {
    const empty = await sshd.writeFile("known_hosts.empty", "");
    const error = await connectError({ knownHostsFile: empty });
    expect(error).toBeInstanceOf(HostKeyError);
    expect(error).toBeInstanceOf(BlockedError);
    expect((error as HostKeyError).problem).toBe("unknown");
    expect(error.message).toContain(`127.0.0.1 port ${sshd.port}`);
    expect(error.message).toContain(sshd.hostKeys[0]!.fingerprint);
    expect(error.message).toContain(`ssh-keyscan -p ${sshd.port} 127.0.0.1 >> ${empty}`);
  });

  it("does not take a port-22 entry for a host on another port", async () => {
    const plain = await sshd.writeFile(
      "known_hosts.port22",
      sshd.knownHostsLine().replace(/^\[127\.0\.0\.1\]:\d+/, "127.0.0.1") + "\n",
    );
    expect(((await connectError({ knownHostsFile: plain })) as HostKeyError).problem).toBe("unknown");
  });

  it("accepts a hashed known_hosts entry written by ssh-keygen -H", async () => {
    const file = await sshd.writeFile("known_hosts.hashed", `${sshd.knownHostsLine()}\n`);
    await execa("ssh-keygen", ["-H", "-f", file]);
    const text = await readFile(file, "utf8");
    expect(text).toMatch(/^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /);
    expect(text).not.toContain("127.0.0.1");
    const host = await connect({ knownHostsFile: file });
    expect(host.hostKeyFingerprint).toBe(sshd.hostKeys[0]!.fingerprint);
  });

  it("refuses a changed host key", async () => {
    const impostor = await sshd.generateKey("impostor");
    const [type, base64] = impostor.publicKey.split(" ");
    const file = await sshd.writeFile("known_hosts.changed", `# old key\n[127.0.0.1]:${sshd.port} ${type} ${base64}\n`);
    const error = await connectError({ knownHostsFile: file });
    expect(error).toBeInstanceOf(HostKeyError);
    expect((error as HostKeyError).problem).toBe("changed");
    expect(error.message).toContain("HOST KEY CHANGED");
    expect(error.message).toContain(impostor.fingerprint);
    expect(error.message).toContain(sshd.hostKeys[0]!.fingerprint);
    expect(error.message).toContain(`${file}:2`);
  });

  it("refuses a wrong pinned fingerprint and accepts the right one without known_hosts", async () => {
    const impostor = await sshd.generateKey("impostor2");
    const empty = await sshd.writeFile("known_hosts.none", "");
    const error = await connectError({ hostKey: impostor.fingerprint, knownHostsFile: knownHosts });
    expect(error).toBeInstanceOf(HostKeyError);
    expect((error as HostKeyError).problem).toBe("pinned-mismatch");
    expect(error.message).toContain("source.hostKey");
    const host = await connect({ hostKey: sshd.hostKeys[0]!.fingerprint, knownHostsFile: empty });
    expect(host.hostKeyFingerprint).toBe(sshd.hostKeys[0]!.fingerprint);
  });

  it("connect with acceptHostKeys (a resumed migration) trusts only that list, not known_hosts", async () => {
    const other = await sshd.generateKey("resume-other");
    const refused = await SshHost.connect(endpoint(), "target", { acceptHostKeys: [other.fingerprint] }).then(
      () => null,
      (e: Error) => e,
    );
    expect(refused).toBeInstanceOf(HostKeyError);
    const host = await SshHost.connect(endpoint({ knownHostsFile: join(sshd.dir, "no-such-known-hosts") }), "target", {
      acceptHostKeys: [other.fingerprint, sshd.hostKeys[0]!.fingerprint],
    });
    open.push(host);
    expect(host.hostKeyFingerprint).toBe(sshd.hostKeys[0]!.fingerprint);
  });

  it("reconnect accepting only other keys is refused; with the right key it works again", async () => {
    const host = await connect();
    const other = await sshd.generateKey("other");
    const error = await host.reconnect({ acceptHostKeys: [other.fingerprint] }).then(
      () => null,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(HostKeyError);
    expect((error as HostKeyError).problem).toBe("not-accepted");
    expect(error!.message).toContain(sshd.hostKeys[0]!.fingerprint);
    await expect(host.exec("true")).rejects.toBeInstanceOf(SshUnreachableError);
    // Still only the accepted list counts: a plain reconnect does not fall back to known_hosts.
    await expect(host.reconnect()).rejects.toBeInstanceOf(HostKeyError);
    await host.reconnect({ acceptHostKeys: [sshd.hostKeys[0]!.fingerprint] });
    expect((await host.exec("echo back")).stdout).toBe("back\n");
  });
});

describe("other key types", { timeout: REAL_HOST_TEST_TIMEOUT }, () => {
  let multi: TestSshd;
  beforeAll(async () => {
    multi = await startSshd({ hostKeyTypes: ["ed25519", "ecdsa", "rsa"] });
  });
  afterAll(async () => {
    await multi?.stop();
  });

  for (const type of ["rsa", "ecdsa"] as const) {
    it(`verifies a server against a known_hosts that holds only its ${type} key`, async () => {
      const file = await multi.writeFile(`known_hosts.${type}`, `${multi.knownHostsLine("127.0.0.1", type)}\n`);
      const host = await SshHost.connect(
        endpoint({ port: multi.port, knownHostsFile: file, identityFile: multi.userKey }),
        "target",
      );
      open.push(host);
      expect(host.hostKeyFingerprint).toBe(multi.hostKeys.find((k) => k.type === type)!.fingerprint);
      expect(host.hostKeyType).toBe(type === "rsa" ? "ssh-rsa" : "ecdsa-sha2-nistp256");
    });
  }
});

describe("ssh config and ProxyJump", { timeout: REAL_HOST_TEST_TIMEOUT }, () => {
  it("reaches a host through a jump host named in the ssh config", async () => {
    const hostsFile = await sshd.writeFile(
      "known_hosts.jump",
      `${sshd.knownHostsLine("127.0.0.1")}\n${sshd.knownHostsLine("127.0.0.2")}\n`,
    );
    const config = await sshd.writeFile(
      "ssh_config",
      [
        "Host jumpbox",
        "  HostName 127.0.0.1",
        `  Port ${sshd.port}`,
        "Host inner",
        "  HostName 127.0.0.2",
        `  Port ${sshd.port}`,
        "  ProxyJump jumpbox",
        "Host *",
        "  User root",
        `  IdentityFile ${sshd.userKey}`,
        `  UserKnownHostsFile ${hostsFile}`,
        `  GlobalKnownHostsFile ${join(sshd.dir, "no-global-known-hosts")}`,
      ].join("\n"),
    );
    process.env.MUDANZA_SSH_CONFIG = config;
    try {
      const host = await SshHost.connect(endpointSchema.parse({ host: "inner" }), "target");
      open.push(host);
      const where = (await host.exec("echo $SSH_CONNECTION")).stdout.trim().split(" ");
      expect(where.slice(2)).toEqual(["127.0.0.2", String(sshd.port)]);
      expect(host.jumpHostKeys).toEqual([
        { host: "127.0.0.1", port: sshd.port, fingerprint: sshd.hostKeys[0]!.fingerprint },
      ]);
      expect(host.address).toBe(`root@127.0.0.2:${sshd.port} via 127.0.0.1`);
      expect(await sshd.log()).toMatch(/direct.tcpip.*target 127\.0\.0\.2/);
    } finally {
      process.env.MUDANZA_SSH_CONFIG = "none";
    }
  });

  it("checks the jump host's key too", async () => {
    const onlyInner = await sshd.writeFile("known_hosts.inner-only", `${sshd.knownHostsLine("127.0.0.2")}\n`);
    const config = await sshd.writeFile(
      "ssh_config.2",
      `Host inner\n  HostName 127.0.0.2\n  Port ${sshd.port}\n  ProxyJump root@127.0.0.1:${sshd.port}\nHost *\n  IdentityFile ${sshd.userKey}\n  UserKnownHostsFile ${onlyInner}\n`,
    );
    process.env.MUDANZA_SSH_CONFIG = config;
    try {
      const error = await SshHost.connect(
        endpointSchema.parse({ host: "inner", identityFile: sshd.userKey }),
        "target",
      ).then(
        () => null,
        (e: Error) => e,
      );
      expect(error).toBeInstanceOf(HostKeyError);
      expect(error!.message).toContain(`127.0.0.1 port ${sshd.port}`);
    } finally {
      process.env.MUDANZA_SSH_CONFIG = "none";
    }
  });
});

describe("auth and privileges", { timeout: REAL_HOST_TEST_TIMEOUT }, () => {
  let agent: ChildProcess | undefined;
  afterAll(() => {
    if (agent?.pid && agent.exitCode === null) process.kill(agent.pid, "SIGTERM");
  });

  it("logs in with a key held by ssh-agent", async () => {
    const socket = join(sshd.dir, "agent.sock");
    agent = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
    for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
    await execa("ssh-add", ["-q", sshd.userKey], { env: { SSH_AUTH_SOCK: socket } });
    process.env.SSH_AUTH_SOCK = socket;
    try {
      const host = await connect({ identityFile: undefined });
      expect((await host.exec("id -u")).stdout).toBe("0\n");
    } finally {
      delete process.env.SSH_AUTH_SOCK;
    }
  });

  it("fails clearly without any key, and with a key the server does not know", async () => {
    const none = await connectError({ identityFile: undefined });
    expect(none).toBeInstanceOf(BadInputError);
    expect(none.message).toMatch(/no way to log in as root/);
    const stranger = await sshd.generateKey("stranger");
    const refused = await connectError({ identityFile: stranger.privateKeyFile });
    expect(refused).toBeInstanceOf(SshAuthError);
    expect(refused.message).toContain(stranger.privateKeyFile);
    expect(refused.message).not.toMatch(/PRIVATE KEY/);
  });

  it.runIf(existsSync("/usr/bin/sudo"))("runs commands through sudo -n, quoting intact", async () => {
    const host = await connect({ sudo: true });
    const hostile = ["it's", "$(id)", "`id`", "a\nb", "*"];
    const result = await host.exec(cmd("printf", "%s\\0", ...hostile));
    expect(result.stdout.split("\0").slice(0, -1)).toEqual(hostile);
    expect((await host.exec("cat /proc/$PPID/comm")).stdout.trim()).toBe("sudo");
    const path = join(sshd.dir, "sudo-written");
    await host.writeFile(path, "via sudo\n", { mode: 0o600 });
    expect(await host.readFile(path)).toBe("via sudo\n");
  });
});

// A throwaway system user (no home, not in sudoers) shows the non-root paths; the test sshd authorizes the
// test key for every user (AuthorizedKeysFile in its temp dir). Removed again in afterAll.
const NON_ROOT = "mudanza-nonroot";
describe.runIf(existsSync("/usr/sbin/useradd") && existsSync("/usr/bin/sudo") && process.getuid?.() === 0)(
  "non-root logins",
  { timeout: REAL_HOST_TEST_TIMEOUT },
  () => {
    beforeAll(async () => {
      // "*" rather than useradd's locked "!": sshd without PAM refuses locked accounts even for key logins.
      await execa("useradd", ["--system", "--no-create-home", "--shell", "/bin/sh", "--password", "*", NON_ROOT]).catch(
        (e: Error) => {
          if (!/already exists/.test(e.message)) throw e;
        },
      );
    });
    afterAll(async () => {
      await execa("userdel", [NON_ROOT]).catch(() => {});
    });

    it("refuses a non-root login without sudo, explaining what to set", async () => {
      const error = await connectError({ user: NON_ROOT });
      expect(error).toBeInstanceOf(BlockedError);
      expect(error.message).toMatch(/logged in as uid \d+, not root.*set sudo: true/);
    });

    it("refuses a sudo that asks for a password instead of hanging", async () => {
      const started = Date.now();
      const error = await connectError({ user: NON_ROOT, sudo: true });
      expect(error).toBeInstanceOf(BlockedError);
      expect(error.message).toMatch(/sudo asks for a password.*NOPASSWD/);
      expect(error.message).toContain(`${NON_ROOT} ALL=(root) NOPASSWD: ALL`);
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  },
);

describe("unreachable hosts", { timeout: REAL_HOST_TEST_TIMEOUT }, () => {
  it("a closed port and a silent server are retryable BlockedErrors, not hangs", async () => {
    const silent = createServer((socket) => socket.on("error", () => {})); // accepts, never says a word
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const silentPort = (silent.address() as AddressInfo).port;
    try {
      const started = Date.now();
      const timedOut = await connectError({ port: silentPort, connectTimeoutSec: 1 });
      expect(timedOut).toBeInstanceOf(SshUnreachableError);
      expect((timedOut as SshUnreachableError).retryable).toBe(true);
      expect(timedOut.message).toMatch(/no ssh handshake .* within 1s/);
      // returns long before the 31 s sleep would end (TERM, KILL after 2 s, stop waiting 2 s later)
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      silent.close();
    }
    // nothing listens on that port any more
    const refused = await connectError({ port: silentPort });
    expect(refused).toBeInstanceOf(SshUnreachableError);
    expect(refused.message).toContain("ECONNREFUSED");
  });
});

describe("lost connection", { timeout: REAL_HOST_TEST_TIMEOUT }, () => {
  it("a dropped connection fails the command clearly, and reconnect recovers", async () => {
    const host = await connect();
    const pending = host.exec("sleep 20");
    await new Promise((r) => setTimeout(r, 300));
    // The per-connection sshd processes are children of the listener; kill them to cut the connection.
    for (const pid of await sessionPids(sshd.pid)) process.kill(pid, "SIGKILL");
    await expect(pending).rejects.toBeInstanceOf(SshUnreachableError);
    await host.reconnect();
    expect((await host.exec("echo again")).stdout).toBe("again\n");
  });
});

/**
 * The stop runs on a session of its own, which a loaded sshd may take seconds to open: wait for as long
 * as that session may take (its own limit is 10 s), not a margin tuned to a quiet machine. Each sleep in
 * these tests lasts 30 s or more, so a process that was never killed still fails here.
 */
async function expectNoProcess(argument: string): Promise<void> {
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    if (!(await processesWithArgument(argument))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`a process with argument ${argument} survived`);
}

/** Until the command runs on the host: the abort must reach a process, not a session still opening. */
async function waitForProcess(argument: string): Promise<void> {
  while (!(await processesWithArgument(argument))) await new Promise((r) => setTimeout(r, 50));
}

async function processesWithArgument(argument: string): Promise<boolean> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.split("\0").includes(argument)) return true;
  }
  return false;
}

async function sessionPids(parent: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === parent) pids.push(Number(entry));
  }
  return pids;
}
