import { chmod, cp, lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../../src/cli/program.js";
import { vzConfValues } from "../../../src/openvz/vz-conf.js";

/**
 * The whole pipeline through `mudanza run --yes` on this machine (transport: local): real rsync, real
 * fix-ups on the copied tree, the real CTID.conf file. Only `vserver`, `vzctl` and `ping` are stand-ins (shell
 * scripts keeping their state in files, printing what util-vserver and vzctl print), since neither a
 * VServer nor an OpenVZ kernel can run here.
 */
const isRoot = process.getuid?.() === 0;
let base = "";
const savedPath = process.env.PATH;

const vserverShim = (state: string) => `#!/bin/sh
case "$2" in
  status) if [ -e ${state}/guest-running ]; then echo "Vserver '$1' is running at context '1001'"; exit 0; else echo "Vserver '$1' is stopped"; exit 3; fi ;;
  running) [ -e ${state}/guest-running ] ;;
  stop) rm -f ${state}/guest-running; echo stop >> ${state}/log ;;
  start) touch ${state}/guest-running; echo start >> ${state}/log ;;
  exec) if [ "$3" = sh ]; then echo "LISTEN 0      20         127.0.0.1:25        0.0.0.0:*"; else printf 'init\\nsshd\\ncron\\nps\\n'; fi ;;
  *) exit 2 ;;
esac
`;
const vzctlShim = (state: string, conf: string, priv: string) => `#!/bin/sh
case "$1" in
  status) if [ -e ${state}/ct-running ]; then echo "CTID $2 exist mounted running"; elif [ -e ${conf}/$2.conf ]; then echo "CTID $2 exist unmounted down"; else echo "CTID $2 deleted unmounted down"; fi ;;
  start) [ -e ${conf}/$2.conf ] || { echo "Container config file does not exist" >&2; exit 1; }
    # as vzctl does (vzctl-actions.c): VE_PRIVATE from the CTID.conf, $VEID expanded, must be a directory
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

/** The container's venet address answers only while it runs (ping is not even installed on every test machine). */
const pingShim = (state: string) => `#!/bin/sh
for last; do :; done
if [ "$last" = 198.18.10.21 ] && [ -e ${state}/ct-running ]; then echo "64 bytes from $last: icmp_seq=1 ttl=64 time=0.05 ms"; exit 0; fi
echo "1 packets transmitted, 0 received, 100% packet loss, time 0ms"; exit 1
`;

beforeAll(async () => {
  if (!isRoot) return;
  base = await mkdtemp(join(tmpdir(), "mudanza-vs-local-"));
  const state = join(base, "state");
  const bin = join(base, "bin");
  const confRoot = join(base, "etc/vservers");
  const vzConf = join(base, "etc/vz");
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
  // the guest tree and its util-vserver config, from the web1 fixture, re-rooted under base
  await cp("fixtures/hosts/vserver-host-web1/files/vservers/web1", join(base, "vservers/web1"), {
    recursive: true,
    verbatimSymlinks: true,
  });
  const fixtureConf = "fixtures/hosts/vserver-host-web1/files/etc/vservers/web1";
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
  const vz = (await readFile("fixtures/hosts/openvz-node-basic/files/etc/vz/vz.conf", "utf8"))
    .replace("VE_ROOT=/vz/root/$VEID", `VE_ROOT=${base}/vz/root/$VEID`)
    .replace("VE_PRIVATE=/vz/private/$VEID", `VE_PRIVATE=${base}/vz/private/$VEID`);
  await writeFile(join(vzConf, "vz.conf"), vz);
  await cp(
    "fixtures/hosts/openvz-node-basic/files/etc/vz/conf/ve-vps.basic.conf-sample",
    join(vzConf, "conf/ve-vps.basic.conf-sample"),
  );
  await writeFile(join(bin, "vserver"), vserverShim(state));
  await writeFile(join(bin, "vzctl"), vzctlShim(state, join(vzConf, "conf"), join(base, "vz/private/1001")));
  await chmod(join(bin, "vserver"), 0o755);
  await chmod(join(bin, "vzctl"), 0o755);
  await writeFile(join(bin, "ping"), pingShim(state));
  await chmod(join(bin, "ping"), 0o755);
  await writeFile(join(state, "guest-running"), "");
  process.env.PATH = `${bin}:${savedPath}`;
  await writeFile(
    join(base, "web1.yaml"),
    `kind: vserver-to-openvz\nsource: {transport: local}\ntarget: {transport: local}\noptions:\n  guest: web1\n  vserversConfDir: ${confRoot}\n  vzConfDir: ${vzConf}\n`,
  );
});

afterAll(async () => {
  process.env.PATH = savedPath;
  if (base) await rm(base, { recursive: true, force: true });
});

describe.skipIf(!isRoot)("mudanza run --yes on this machine (local transport, stand-in vserver and vzctl)", () => {
  it("copies, configures, fixes up, starts and disables, for real", async () => {
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    let stderr = "";
    let code: number;
    try {
      code = await main(
        ["run", join(base, "web1.yaml"), "--yes", "--state-dir", join(base, "state-dir")],
        (t) => (stderr += t),
      );
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    expect(stderr).toBe("");
    expect(code).toBe(0);

    const priv = join(base, "vz/private/1001");
    const conf = await readFile(join(base, "etc/vz/conf/1001.conf"), "utf8");
    expect(vzConfValues(conf)).toMatchObject({
      VE_PRIVATE: `${base}/vz/private/$VEID`,
      VE_ROOT: `${base}/vz/root/$VEID`,
      HOSTNAME: "web1",
      IP_ADDRESS: "198.18.10.21",
      OSTEMPLATE: "debian-6.0-x86_64",
      ONBOOT: "yes",
      NUMPROC: "65:65",
    });
    const confStat = await lstat(join(base, "etc/vz/conf/1001.conf"));
    expect([confStat.mode & 0o777, confStat.uid, confStat.gid]).toEqual([0o644, 0, 0]);
    expect(await readFile(join(priv, "etc/hostname"), "utf8")).toBe("web1\n");
    expect(await readlink(join(priv, "etc/mtab"))).toBe("/proc/mounts");
    expect((await lstat(join(priv, "dev/ptmx"))).isCharacterDevice()).toBe(true);
    expect(await readFile(join(priv, "root/mudanza-backup/etc/network/interfaces"), "utf8")).toMatch(
      /iface eth0 inet static/,
    );
    await expect(lstat(join(priv, "etc/rcS.d/S05hwclock.sh"))).rejects.toThrow(/ENOENT/);
    await expect(lstat(join(base, "etc/vservers/web1/apps/init/mark"))).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(base, "etc/vservers/web1/apps/init/mark.mudanza-disabled"), "utf8")).toBe("default\n");
    expect(await readFile(join(base, "state/log"), "utf8")).toBe("stop\n");
    await expect(lstat(join(base, "state/guest-running"))).rejects.toThrow(/ENOENT/);
    expect((await lstat(join(base, "state/ct-running"))).isFile()).toBe(true);
  }, 60_000);
});
