import { posix } from "node:path";
import { loadScriptedHost } from "../../../src/hosts/scripted-fixture.js";
import type { ScriptedHost } from "../../../src/hosts/scripted-host.js";

/**
 * The web1 VServer host and the OpenVZ node as scripted hosts whose rules simulate what the real
 * commands do to the file trees and states (guest running, container running, device nodes), so a whole
 * --yes run can be checked end to end. Output formats are the tools' own (see the fixtures' provenance).
 */
export interface World {
  source: ScriptedHost;
  target: ScriptedHost;
  state: { guestRunning: boolean; containerRunning: boolean; devices: Set<string>; rsyncPasses: number };
  /** What `vzctl exec 1001 ps -eo comm=` prints. */
  containerProcesses: string[];
  /** TCP ports that accept a connection from the node while the container runs. */
  containerPorts: number[];
}

const VDIR = "/vservers/web1";
const PRIVATE = "/vz/private/1001";
const EXCLUDED = [/^proc\/./, /^sys\/./, /^dev\/pts\/./];
const q = (s: string): string => s.replace(/^'(.*)'$/, "$1");

export async function webWorld(targetFixture = "fixtures/hosts/openvz-node-basic"): Promise<World> {
  const source = await loadScriptedHost("fixtures/hosts/vserver-host-web1", "source");
  const target = await loadScriptedHost(targetFixture, "target");
  const world: World = {
    source,
    target,
    state: { guestRunning: true, containerRunning: false, devices: new Set(), rsyncPasses: 0 },
    containerProcesses: ["init", "rsyslogd", "cron", "sshd", "apache2", "apache2"],
    containerPorts: [22, 80],
  };
  const { state } = world;

  source.on("vserver web1 status", () =>
    state.guestRunning
      ? { stdout: "Vserver 'web1' is running at context '1001'\nNumber of processes:  9\n" }
      : { code: 3, stdout: "Vserver 'web1' is stopped\n" },
  );
  source.on("vserver web1 stop", () => ((state.guestRunning = false), {}), { mutates: true });
  source.on("vserver web1 start", () => ((state.guestRunning = true), {}), { mutates: true });
  source.on("vserver web1 running || vserver web1 start", () => ((state.guestRunning = true), {}), { mutates: true });
  source.on(
    /^mv \/etc\/vservers\/web1\/apps\/init\/mark /,
    (command, host) => {
      const [, from, to] = command.split(" ");
      const file = host.files.get(from!)!;
      host.files.delete(from!);
      host.files.set(to!, file);
      return {};
    },
    { mutates: true },
  );
  // The push: copy the guest tree into the node's private area, --delete included.
  source.on(
    /^rsync -aHAXS --numeric-ids --delete |; exec rsync -aHAXS --numeric-ids --delete /,
    () => {
      state.rsyncPasses++;
      let changed = 0;
      const seen = new Set<string>();
      for (const [path, file] of source.files) {
        if (!path.startsWith(`${VDIR}/`)) continue;
        const rel = path.slice(VDIR.length + 1);
        if (EXCLUDED.some((re) => re.test(rel))) continue;
        const dest = `${PRIVATE}/${rel}`;
        seen.add(dest);
        const existing = target.files.get(dest);
        if (
          existing &&
          existing.content === file.content &&
          existing.type === file.type &&
          existing.linkTarget === file.linkTarget
        )
          continue;
        changed += Buffer.byteLength(file.content);
        target.files.set(dest, { ...file });
      }
      for (const path of [...target.files.keys()])
        if (path.startsWith(`${PRIVATE}/`) && !seen.has(path) && !path.startsWith(`${PRIVATE}/root/mudanza-backup`))
          target.files.delete(path);
      return {
        stdout: `      ${changed}  100%    1.20MB/s    0:00:00 (xfr#3, to-chk=0/61)\n\nNumber of files: 61 (reg: 30, dir: 24, link: 7)\nTotal transferred file size: ${changed} bytes\n`,
      };
    },
    { mutates: true },
  );

  target.on(
    /^mkdir -p /,
    (command) => {
      for (const dir of command.split(" ").slice(2)) target.putDir(dir);
      return {};
    },
    { mutates: true },
  );
  // util-vserver's devs lack only console
  target.on(/^cd \/vz\/private\/1001\/dev && for n in /, () => ({
    stdout: ["console"].filter((n) => !state.devices.has(n)).join("\n"),
  }));
  target.on(
    /^mknod -m \d+ (\S+) c /,
    (command) => {
      state.devices.add(posix.basename(command.split(" ")[3]!));
      return {};
    },
    { mutates: true },
  );
  target.on("cd /vz/private/1001 && ls -1d etc/rc[0-6S].d/S* etc/rc.d/rc[0-6].d/S* 2>/dev/null; true", () => ({
    stdout: [...target.files.keys()]
      .filter((p) => /^\/vz\/private\/1001\/etc\/(rc[0-6S]\.d|rc\.d\/rc[0-6]\.d)\/S/.test(p))
      .map((p) => p.slice(PRIVATE.length + 1))
      .sort()
      .join("\n"),
  }));
  const backupCommand =
    /^if \{ test -e (\S+) \|\| test -L \S+; \} && ! test -e \S+ && ! test -L \S+; then mkdir -p \S+ && cp -a \S+ (\S+); fi$/;
  target.on(
    backupCommand,
    (command) => {
      const m = backupCommand.exec(command)!;
      const file = target.files.get(q(m[1]!));
      if (file && !target.files.has(q(m[2]!))) target.files.set(q(m[2]!), { ...file });
      return {};
    },
    { mutates: true },
  );
  target.on(
    /^ln -sfn (\S+) (\S+)$/,
    (command) => {
      const [, to, path] = /^ln -sfn (\S+) (\S+)$/.exec(command)!;
      target.putSymlink(q(path!), q(to!));
      return {};
    },
    { mutates: true },
  );
  target.on(
    /^rm -f (\S+)$/,
    (command) => {
      target.deleteFile(q(command.slice("rm -f ".length)));
      return {};
    },
    { mutates: true },
  );

  target.on("vzctl status 1001", () => ({
    stdout: state.containerRunning
      ? "CTID 1001 exist mounted running\n"
      : target.files.has("/etc/vz/conf/1001.conf")
        ? "CTID 1001 exist unmounted down\n"
        : "CTID 1001 deleted unmounted down\n",
  }));
  target.on(
    "vzctl start 1001",
    () => {
      if (!target.files.has("/etc/vz/conf/1001.conf"))
        return { code: 3, stderr: "Container config file does not exist\n" };
      state.containerRunning = true;
      return {
        stdout:
          "Starting container ...\nContainer is mounted\nAdding IP address(es): 198.18.10.21\nSetting CPU units: 1000\nContainer start in progress...\n",
      };
    },
    { mutates: true },
  );
  target.on(
    "vzctl stop 1001",
    () => (
      (state.containerRunning = false),
      { stdout: "Stopping container ...\nContainer was stopped\nContainer is unmounted\n" }
    ),
    { mutates: true },
  );
  target.on(
    "if vzctl status 1001 | grep -qw running; then vzctl stop 1001; fi",
    () => ((state.containerRunning = false), {}),
    { mutates: true },
  );
  target.on(
    /^vzctl set 1001 --onboot (yes|no) --save$/,
    (command) => {
      const conf = target.files.get("/etc/vz/conf/1001.conf")!;
      conf.content = conf.content.replace(/^ONBOOT=.*$/m, `ONBOOT="${command.split(" ")[4]}"`);
      return { stdout: "Saved parameters for CT 1001\n" };
    },
    { mutates: true },
  );
  target.on("vzctl exec 1001 hostname", () => ({ stdout: "web1\n" }));
  target.on("vzctl exec 1001 'ip -o addr show 2>/dev/null || ifconfig -a'", () => ({
    stdout:
      "1: lo    inet 127.0.0.1/8 scope host lo\n2: venet0    inet 127.0.0.2/32 scope host venet0\n2: venet0    inet 198.18.10.21/32 brd 198.18.10.21 scope global venet0:0\n",
  }));
  target.on("vzctl exec 1001 'ps -eo comm='", () => ({ stdout: world.containerProcesses.join("\n") + "\n" }));
  // iputils ping's output; bash's /dev/tcp connect prints nothing and fails with "Connection refused".
  target.on("ping -c 1 -W 2 198.18.10.21", () =>
    state.containerRunning
      ? {
          stdout:
            "PING 198.18.10.21 (198.18.10.21) 56(84) bytes of data.\n64 bytes from 198.18.10.21: icmp_seq=1 ttl=64 time=0.051 ms\n\n--- 198.18.10.21 ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\nrtt min/avg/max/mdev = 0.051/0.051/0.051/0.000 ms\n",
        }
      : {
          code: 1,
          stdout:
            "PING 198.18.10.21 (198.18.10.21) 56(84) bytes of data.\n\n--- 198.18.10.21 ping statistics ---\n1 packets transmitted, 0 received, 100% packet loss, time 0ms\n\n",
        },
  );
  target.on(/^timeout 3 bash -c 'exec 3<>\/dev\/tcp\/198\.18\.10\.21\/(\d+)'$/, (command) => {
    const port = Number(/\/(\d+)'$/.exec(command)![1]);
    return state.containerRunning && world.containerPorts.includes(port)
      ? {}
      : {
          code: 1,
          stderr: `bash: connect: Connection refused\nbash: line 1: /dev/tcp/198.18.10.21/${port}: Connection refused\n`,
        };
  });
  return world;
}
