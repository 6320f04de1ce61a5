/**
 * One VServer guest and one OpenVZ node on this machine, both reached over a real local sshd, migrated
 * by the real CLI in a child process (`mudanza run --yes --json`), so a fault can be a real signal to the
 * CLI, a killed sshd session, a full filesystem. Real rsync copies the guest tree over ssh; `vserver`,
 * `vzctl` and `ping` are the stand-ins of test/pipelines/vserver-to-openvz/local-run.test.ts (state in
 * files), since neither kernel runs here. An `rsync` wrapper on the sessions' PATH records every copy
 * (its pid, and any copy started while an earlier one still lived), and can hold a copy when asked, so a
 * fault lands inside a running rsync by order, not by a timer.
 */
import { execa, type ResultPromise } from "execa";
import { chmod, cp, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { startSshd, type TestSshd } from "../support/sshd.js";

const FIXTURE = "fixtures/hosts/vserver-host-web1";
const NODE = "fixtures/hosts/openvz-node-basic/files/etc/vz";
export const CTID = 1001;

const vserverShim = (state: string) => `#!/bin/sh
case "$2" in
  status) if [ -e ${state}/guest-running ]; then echo "Vserver '$1' is running at context '1001'"; exit 0; else echo "Vserver '$1' is stopped"; exit 3; fi ;;
  running) [ -e ${state}/guest-running ] ;;
  stop) if [ -e ${state}/stop-fails ]; then echo "A timeout occured while waiting for the vserver to finish and it will be killed by sending a SIGKILL signal. Unfortunately the killing failed." >&2; exit 1; fi
    rm -f ${state}/guest-running; echo stop >> ${state}/log
    if [ -e ${state}/hold-after-stop ]; then mv ${state}/hold-after-stop ${state}/hold-next; fi ;;
  start) if [ -e ${state}/start-fails ]; then echo "/usr/lib/util-vserver/start-vserver: cannot start: /etc/vservers/$1/run.rev exists" >&2; exit 1; fi
    touch ${state}/guest-running; echo start >> ${state}/log ;;
  exec) if [ "$3" = sh ]; then echo "LISTEN 0      20         127.0.0.1:25        0.0.0.0:*"; else printf 'init\\nsshd\\ncron\\nps\\n'; fi ;;
  *) exit 2 ;;
esac
`;

const vzctlShim = (state: string, conf: string, priv: string) => `#!/bin/sh
case "$1" in
  status) if [ -e ${state}/ct-running ]; then echo "CTID $2 exist mounted running"; elif [ -e ${conf}/$2.conf ]; then echo "CTID $2 exist unmounted down"; else echo "CTID $2 deleted unmounted down"; fi ;;
  start) [ -e ${conf}/$2.conf ] || { echo "Container config file does not exist" >&2; exit 1; }
    private=$(VEID=$2; . ${conf}/$2.conf; echo "$VE_PRIVATE")
    [ -d "$private" ] || { echo "Container private area $private does not exist" >&2; exit 43; }
    touch ${state}/ct-running; echo "Starting container ..." ;;
  stop) rm -f ${state}/ct-running ;;
  set) sed -i "s/^ONBOOT=.*/ONBOOT=\\"$4\\"/" ${conf}/$2.conf; echo "Saved parameters for CT $2" ;;
  exec) shift 2
    case "$*" in
      hostname) cat ${priv}/etc/hostname ;;
      "ip -o addr show 2>/dev/null || ifconfig -a") echo "2: venet0    inet 198.18.10.21/32 brd 198.18.10.21 scope global venet0:0" ;;
      "ps -eo comm=") printf 'init\\nsshd\\ncron\\n' ;;
      *) exit 1 ;;
    esac ;;
  *) exit 2 ;;
esac
`;

const pingShim = (state: string) => `#!/bin/sh
for last; do :; done
if [ "$last" = 198.18.10.21 ] && [ -e ${state}/ct-running ]; then echo "64 bytes from $last: icmp_seq=1 ttl=64 time=0.05 ms"; exit 0; fi
echo "1 packets transmitted, 0 received, 100% packet loss, time 0ms"; exit 1
`;

/** The copies' recorder: pid of each, "overlap" when one starts while an earlier one lives, a hold on request. */
const rsyncShim = (state: string) => `#!/bin/sh
case " $* " in *" --server "*|*" --version "*) exec /usr/bin/rsync "$@" ;; esac
for p in $(cat ${state}/rsync-pids 2>/dev/null); do
  # alive: a process that is not a zombie (a reaped-late orphan holds no lock and copies nothing)
  st=$(sed 's/.*) //' /proc/$p/stat 2>/dev/null | cut -d' ' -f1)
  if [ "$p" != $$ ] && [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]; then echo "copy $$ started while copy $p still ran" >> ${state}/overlap; fi
done
echo $$ >> ${state}/rsync-pids
if mv ${state}/hold-next ${state}/holding.$$ 2>/dev/null; then
  echo $$ > ${state}/rsync-held
  while [ -e ${state}/holding.$$ ]; do sleep 0.1; done
fi
exec /usr/bin/rsync "$@"
`;

/** The VServer host's own ssh to the node: its key and known_hosts (root's ~/.ssh on a real host). */
const sshShim = (key: string, knownHosts: string) => `#!/bin/sh
exec /usr/bin/ssh -i ${key} -o IdentitiesOnly=yes -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes "$@"
`;

export interface CliRun {
  child: ResultPromise<{ reject: false; all: true }>;
  /** Resolves with the first NDJSON event `match` accepts (rejects if the CLI ends first). */
  event(match: (event: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  done: Promise<{ code: number | undefined; signal: string | undefined; output: string }>;
  /** The CLI has exited. */
  readonly ended: boolean;
}

export interface VserverWorld {
  base: string;
  state: string;
  planPath: string;
  stateDir: string;
  privateDir: string;
  sshd: TestSshd;
  run(extra?: string[]): CliRun;
  /** Files in `state` (fault switches and records). */
  flag(name: string, on?: boolean): Promise<void>;
  has(name: string): Promise<boolean>;
  read(name: string): Promise<string>;
  /** Resolves once `name` exists in `state` (the CLI reached that point). */
  waitFor(name: string): Promise<void>;
  /** What a finished migration leaves, with this world's base folder written as <base>. */
  finalState(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** "ssh": both hosts through the local sshd; "local": transport local (the CLI runs the commands itself). */
  transport: "ssh" | "local";
  /** Size of one extra file in the guest (default 64 KiB): a node with less room fills up. */
  dataBytes?: number;
}

export async function vserverWorld(options: WorldOptions): Promise<VserverWorld> {
  const base = await mkdtemp(join(tmpdir(), "mudanza-faults-"));
  const state = join(base, "state");
  const bin = join(base, "bin");
  const confRoot = join(base, "etc/vservers");
  const vzConf = join(base, "etc/vz");
  const privateDir = join(base, "vz/private", String(CTID));
  for (const dir of [
    state,
    bin,
    join(confRoot, "web1/interfaces/0"),
    join(confRoot, "web1/uts"),
    join(confRoot, "web1/apps/init"),
    join(vzConf, "conf"),
    join(base, "vz/private"),
    join(base, "vz/root"),
  ])
    await mkdir(dir, { recursive: true });
  await cp(`${FIXTURE}/files/vservers/web1`, join(base, "vservers/web1"), { recursive: true, verbatimSymlinks: true });
  // A file big enough that a full node shows (and rsync has data to move).
  await writeFile(join(base, "vservers/web1/var/lib-data.bin"), Buffer.alloc(options.dataBytes ?? 64 * 1024, 5));
  const fixtureConf = `${FIXTURE}/files/etc/vservers/web1`;
  for (const file of [
    "name",
    "context",
    "uts/nodename",
    "interfaces/0/ip",
    "interfaces/0/prefix",
    "interfaces/0/dev",
    "apps/init/mark",
    "fstab",
  ])
    await cp(join(fixtureConf, file), join(confRoot, "web1", file));
  await symlink(join(base, "vservers/web1"), join(confRoot, "web1/vdir"));
  const vz = (await readFile(`${NODE}/vz.conf`, "utf8"))
    .replace("VE_ROOT=/vz/root/$VEID", `VE_ROOT=${base}/vz/root/$VEID`)
    .replace("VE_PRIVATE=/vz/private/$VEID", `VE_PRIVATE=${base}/vz/private/$VEID`);
  await writeFile(join(vzConf, "vz.conf"), vz);
  await cp(`${NODE}/conf/ve-vps.basic.conf-sample`, join(vzConf, "conf/ve-vps.basic.conf-sample"));
  await writeFile(join(state, "guest-running"), "");
  // The sessions' home: root's own ~/.bashrc (a login shell reads it) is this machine's business, not the hosts'.
  const home = join(base, "home");
  await mkdir(home);

  let sshd: TestSshd | undefined;
  try {
    sshd = await startSshd({
      logLevel: "INFO",
      env: { PATH: `${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: home },
    });
    const knownHosts = await sshd.writeFile("source_known_hosts", `${sshd.knownHostsLine()}\n`);
    const shims: Record<string, string> = {
      vserver: vserverShim(state),
      vzctl: vzctlShim(state, join(vzConf, "conf"), privateDir),
      ping: pingShim(state),
      rsync: rsyncShim(state),
      ssh: sshShim(sshd.userKey, knownHosts),
    };
    for (const [name, text] of Object.entries(shims)) {
      await writeFile(join(bin, name), text);
      await chmod(join(bin, name), 0o755);
    }
    const endpoint =
      options.transport === "local"
        ? "{transport: local}"
        : `{host: 127.0.0.1, port: ${sshd.port}, user: root, identityFile: ${sshd.userKey}, hostKey: "${sshd.hostKeys[0]!.fingerprint}"}`;
    const planPath = join(base, "web1.yaml");
    await writeFile(
      planPath,
      `kind: vserver-to-openvz\nname: web1\nsource: ${endpoint}\ntarget: ${endpoint}\noptions:\n  guest: web1\n  vserversConfDir: ${confRoot}\n  vzConfDir: ${vzConf}\n  startCheckTimeoutSec: 5\n`,
    );
    const stateDir = join(base, "mudanza-state");
    return world(base, state, planPath, stateDir, privateDir, sshd, bin);
  } catch (error) {
    await sshd?.stop();
    await rm(base, { recursive: true, force: true });
    throw error;
  }
}

function world(
  base: string,
  state: string,
  planPath: string,
  stateDir: string,
  privateDir: string,
  sshd: TestSshd,
  bin: string,
): VserverWorld {
  const runs: CliRun[] = [];
  const self: VserverWorld = {
    base,
    state,
    planPath,
    stateDir,
    privateDir,
    sshd,
    run(extra = []) {
      const child = execa(
        process.execPath,
        ["bin/mudanza.js", "run", planPath, "--yes", "--json", "--state-dir", stateDir, ...extra],
        { reject: false, all: true, env: { MUDANZA_FROM_SOURCE: "1", CI: "1", PATH: `${bin}:${process.env.PATH}` } },
      );
      const run = cliRun(child);
      runs.push(run);
      return run;
    },
    async flag(name, on = true) {
      if (on) await writeFile(join(state, name), "");
      else await rm(join(state, name), { force: true });
    },
    has: async (name) => (await stat(join(state, name)).catch(() => null)) !== null,
    read: (name) => readFile(join(state, name), "utf8").catch(() => ""),
    async waitFor(name) {
      while (!(await self.has(name))) {
        // a run that has ended will never write it: say so with its output instead of waiting out the test
        const last = runs.at(-1);
        if (last?.ended) {
          const { code, signal, output } = await last.done;
          throw new Error(
            `the CLI ended (exit ${code}, ${signal ?? "no signal"}) before ${name} appeared:\n${output.slice(-3000)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    finalState: () => snapshot(base, privateDir, state),
    async close() {
      for (const run of runs) {
        run.child.kill("SIGKILL");
        await run.done;
      }
      // copies a test left held (a SIGKILLed run's orphan the product did not stop): end them here
      for (const pid of (await self.read("rsync-pids")).split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          // gone
        }
      }
      await execa("umount", [dirname(privateDir)], { reject: false });
      await sshd.stop();
      await rm(base, { recursive: true, force: true });
    },
  };
  return self;
}

function cliRun(child: ResultPromise<{ reject: false; all: true }>): CliRun {
  const waiters: Array<{
    match: (e: Record<string, unknown>) => boolean;
    resolve: (e: Record<string, unknown>) => void;
    reject: (error: Error) => void;
  }> = [];
  let buffered = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    let newline: number;
    while ((newline = buffered.indexOf("\n")) !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      for (const waiter of waiters.splice(0)) {
        if (waiter.match(event)) waiter.resolve(event);
        else waiters.push(waiter);
      }
    }
  });
  let ended = false;
  const done = child.then((result) => {
    ended = true;
    for (const waiter of waiters.splice(0))
      waiter.reject(
        new Error(
          `the CLI ended (exit ${result.exitCode}, ${result.signal ?? "no signal"}) before the awaited event:\n${result.all}`,
        ),
      );
    return { code: result.exitCode, signal: result.signal, output: String(result.all ?? "") };
  });
  return {
    child,
    done,
    get ended() {
      return ended;
    },
    event: (match) => new Promise((resolve, reject) => waiters.push({ match, resolve, reject })),
  };
}

const hash = (content: Buffer | string): string => createHash("sha256").update(content).digest("hex").slice(0, 16);

/** Every file of the container (type, mode, owner, content hash), CTID.conf, and the guest's and container's states. */
async function snapshot(base: string, privateDir: string, state: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const key = `${rel}/${entry.name}`;
      const s = await stat(path).catch(() => null);
      const mode = s ? (s.mode & 0o7777).toString(8) : "?";
      if (entry.isSymbolicLink()) out[key] = `link -> ${await readlink(path)}`;
      else if (entry.isDirectory()) {
        out[key] = `dir ${mode}`;
        await walk(path, key);
      } else if (entry.isFile()) out[key] = `file ${mode} ${hash(await readFile(path))}`;
      else out[key] = `special ${mode}`;
    }
  };
  await walk(privateDir, "");
  out["CTID.conf"] = (
    await readFile(join(base, "etc/vz/conf", `${CTID}.conf`), "utf8").catch(() => "(none)")
  ).replaceAll(base, "<base>");
  out["guest"] = (await stat(join(state, "guest-running")).catch(() => null)) ? "running" : "stopped";
  out["container"] = (await stat(join(state, "ct-running")).catch(() => null)) ? "running" : "stopped";
  out["guest boot mark"] = (await stat(join(base, "etc/vservers/web1/apps/init/mark")).catch(() => null))
    ? "marked"
    : "unmarked";
  return out;
}
