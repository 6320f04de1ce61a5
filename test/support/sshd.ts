/**
 * A real OpenSSH sshd for tests (Debian's openssh-server), private to one test file.
 *
 *   const sshd = await startSshd({ hostKeyTypes: ["ed25519"] });
 *   // sshd.port, sshd.userKey (private key file for root), sshd.hostKeys[0].fingerprint,
 *   // sshd.knownHostsLine(), await sshd.writeFile("known_hosts", ...), await sshd.log()
 *   await sshd.stop();   // in afterAll: stops it by PID, removes the temp dir
 *
 * It listens on 127.0.0.1 (and any other loopback `listen` address) on a free port, runs in the
 * foreground as root with its own sshd_config in a temp dir, logs to `sshd.logFile` (-E), trusts one
 * generated ed25519 user key for every user (AuthorizedKeysFile in the temp dir, so /root/.ssh is never
 * touched; a test can log in as any existing account whose password field is not locked with "!"), and
 * allows only public-key auth. Nothing is written outside the temp dir except /run/sshd, the privilege
 * separation directory Debian's sshd insists on (created if missing, never removed: others may share it).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

export type HostKeyType = "ed25519" | "ecdsa" | "rsa";

export interface SshdOptions {
  /** Host key types to generate, all served; default ["ed25519"]. */
  hostKeyTypes?: HostKeyType[];
  /** Loopback addresses to listen on (same port on each); default ["127.0.0.1"]. */
  listen?: string[];
  /** Extra sshd_config lines, e.g. ["MaxSessions 4"]; not SetEnv (sshd uses only the first one): see `env`. */
  extraConfig?: string[];
  /** Environment of every session, beside TMPDIR (this server's folder); values without spaces or quotes. */
  env?: Record<string, string>;
  /** sshd LogLevel; default DEBUG1 so tests can assert on channel requests (direct-tcpip, signals). */
  logLevel?: string;
}

export interface SshdHostKey {
  type: HostKeyType;
  /** Public key line as in the .pub file: "ssh-ed25519 AAAA... comment". */
  publicKey: string;
  /** As `ssh-keygen -lf` prints it: SHA256:... (computed by ssh-keygen, not by the code under test). */
  fingerprint: string;
}

export interface TestSshd {
  port: number;
  /** Temp dir holding config, keys, log and pid file; removed by stop(). */
  dir: string;
  pid: number;
  logFile: string;
  hostKeys: SshdHostKey[];
  /** Private key file (ed25519, no passphrase) authorized for root. */
  userKey: string;
  /** known_hosts line for this server: "[127.0.0.1]:PORT ssh-ed25519 AAAA..." (one key type; default the first). */
  knownHostsLine(host?: string, type?: HostKeyType): string;
  /** Writes a file into the temp dir and returns its path. */
  writeFile(name: string, content: string, mode?: number): Promise<string>;
  /** Generates a fresh key pair in the temp dir (e.g. an impostor host key); returns its public key. */
  generateKey(name: string, type?: HostKeyType): Promise<SshdHostKey & { privateKeyFile: string }>;
  log(): Promise<string>;
  stop(): Promise<void>;
}

const SSHD = "/usr/sbin/sshd"; // sshd re-executes itself and therefore must be started by absolute path

export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), "mudanza-sshd-"));
  try {
    await mkdir("/run/sshd", { recursive: true, mode: 0o755 });
    const hostKeyTypes = options.hostKeyTypes ?? ["ed25519"];
    const hostKeys: Array<SshdHostKey & { privateKeyFile: string }> = [];
    for (const type of hostKeyTypes) hostKeys.push(await generateKeyPair(dir, `ssh_host_${type}_key`, type));
    const user = await generateKeyPair(dir, "id_ed25519", "ed25519");
    // sshd reads authorized_keys as the logging-in user: let non-root test users through the dir to it
    // (the private keys in the dir stay 0600).
    await chmod(dir, 0o711);
    await writeFile(join(dir, "authorized_keys"), `${user.publicKey}\n`, { mode: 0o644 });

    // A free port can be taken by someone else between probing and binding: retry a few times.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const started = await launch(dir, port, hostKeys, options).catch((error: Error) => error);
      if (!(started instanceof Error)) return handle(dir, port, started, hostKeys, user.privateKeyFile);
      if (attempt >= 3) throw started;
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The one SetEnv line: sshd keeps only the first SetEnv it reads, so a second line is ignored without a word
 * (a test's PATH lost that way hung the fault matrix in CI). Sessions' scratch files (the stop's cancel
 * markers) go to this server's folder, removed with it, not to /tmp.
 */
function setEnvLine(dir: string, env: Record<string, string>): string {
  const all = { TMPDIR: dir, ...env };
  for (const [name, value] of Object.entries(all))
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || /[\s"'\\]/.test(value))
      throw new Error(`sshd env ${name}=${value}: a name and a value without spaces or quotes, please`);
  return `SetEnv ${Object.entries(all)
    .map(([name, value]) => `${name}=${value}`)
    .join(" ")}`;
}

async function launch(
  dir: string,
  port: number,
  hostKeys: Array<{ privateKeyFile: string }>,
  options: SshdOptions,
): Promise<ChildProcess> {
  const listen = options.listen ?? ["127.0.0.1"];
  if (options.extraConfig?.some((line) => /^\s*setenv\b/i.test(line)))
    throw new Error("startSshd: give session variables as `env`, not a SetEnv line (sshd uses only the first)");
  const config = [
    `Port ${port}`,
    ...listen.map((address) => `ListenAddress ${address}`),
    ...hostKeys.map((key) => `HostKey ${key.privateKeyFile}`),
    `PidFile ${join(dir, "sshd.pid")}`,
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    "StrictModes no", // the key files live under /tmp, which is world-writable
    "UsePAM no",
    "PermitRootLogin prohibit-password",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "AllowTcpForwarding yes",
    "X11Forwarding no",
    "PrintMotd no",
    `LogLevel ${options.logLevel ?? "DEBUG1"}`,
    setEnvLine(dir, options.env ?? {}),
    ...(options.extraConfig ?? []),
  ].join("\n");
  const configFile = join(dir, "sshd_config");
  const logFile = join(dir, "sshd.log");
  await writeFile(configFile, `${config}\n`);
  await execa(SSHD, ["-t", "-f", configFile]); // config errors surface here with sshd's own message
  const child = spawn(SSHD, ["-D", "-f", configFile, "-E", logFile], { stdio: "ignore" });
  const exited = new Promise<never>((_, reject) => {
    child.once("exit", (code) => reject(new Error(`sshd exited with ${code} before listening; see ${logFile}`)));
    child.once("error", reject);
  });
  try {
    await Promise.race([waitForListening(listen[0]!, port, logFile), exited]);
  } catch (error) {
    if (child.exitCode === null) child.kill("SIGKILL");
    throw new Error(`${(error as Error).message}\n${await readFile(logFile, "utf8").catch(() => "")}`);
  }
  exited.catch(() => {}); // later exits are expected (stop)
  return child;
}

function handle(dir: string, port: number, child: ChildProcess, hostKeys: SshdHostKey[], userKey: string): TestSshd {
  const logFile = join(dir, "sshd.log");
  return {
    port,
    dir,
    pid: child.pid!,
    logFile,
    hostKeys: hostKeys.map(({ type, publicKey, fingerprint }) => ({ type, publicKey, fingerprint })),
    userKey,
    knownHostsLine(host = "127.0.0.1", type) {
      const key = type ? hostKeys.find((k) => k.type === type) : hostKeys[0];
      if (!key) throw new Error(`this sshd has no ${type} host key`);
      const [keyType, base64] = key.publicKey.split(" ");
      return `${port === 22 ? host : `[${host}]:${port}`} ${keyType} ${base64}`;
    },
    async writeFile(name, content, mode = 0o600) {
      const path = join(dir, name);
      await writeFile(path, content, { mode });
      return path;
    },
    generateKey: (name, type = "ed25519") => generateKeyPair(dir, name, type),
    log: () => readFile(logFile, "utf8"),
    async stop() {
      await stopByPid(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function generateKeyPair(
  dir: string,
  name: string,
  type: HostKeyType,
): Promise<SshdHostKey & { privateKeyFile: string }> {
  const privateKeyFile = join(dir, name);
  const bits = type === "rsa" ? ["-b", "2048"] : type === "ecdsa" ? ["-b", "256"] : [];
  await execa("ssh-keygen", ["-q", "-t", type, ...bits, "-N", "", "-C", `mudanza-test-${name}`, "-f", privateKeyFile]);
  const publicKey = (await readFile(`${privateKeyFile}.pub`, "utf8")).trim();
  const { stdout } = await execa("ssh-keygen", ["-l", "-E", "sha256", "-f", `${privateKeyFile}.pub`]);
  const fingerprint = /SHA256:[A-Za-z0-9+/]+/.exec(stdout)?.[0];
  if (!fingerprint) throw new Error(`ssh-keygen -l printed no fingerprint: ${stdout}`);
  return { type, publicKey, fingerprint, privateKeyFile };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === "object" ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

async function waitForListening(host: string, port: number, logFile: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const log = await readFile(logFile, "utf8").catch(() => "");
    if (/Server listening on/.test(log) && (await canConnect(host, port))) return;
    if (/Bind to port .* failed|Cannot bind any address/.test(log)) throw new Error(`sshd could not bind port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not listen on ${host}:${port} within 10s`);
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Stops the listener and the per-connection sshd processes it forked (found by parent PID in /proc). */
async function stopByPid(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null) return;
  for (const session of await childPids(pid)) {
    try {
      process.kill(session, "SIGTERM");
    } catch {
      // already gone
    }
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  process.kill(pid, "SIGTERM");
  const timer = setTimeout(() => child.exitCode === null && process.kill(pid, "SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
}

async function childPids(parent: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // "pid (comm) state ppid ...": comm may contain spaces, so read after the last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid === parent) pids.push(Number(entry));
  }
  return pids;
}
