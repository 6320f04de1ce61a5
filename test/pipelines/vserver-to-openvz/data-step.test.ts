import { execFileSync } from "node:child_process";
import {
  chown,
  link,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  unlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ExecOptions, ExecResult } from "../../../src/hosts/host.js";
import { LocalHost } from "../../../src/hosts/local-host.js";
import { FACT, type Inventory } from "../../../src/steps/vserver-to-openvz/context.js";
import { vserverRsyncArgv } from "../../../src/steps/vserver-to-openvz/rsync.js";
import { liveSyncStep } from "../../../src/steps/vserver-to-openvz/sync.js";
import { stepContext, vsPlan } from "./support.js";

const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

function inventory(vdir: string, privateDir: string): Inventory {
  return {
    guest: "web1",
    ctid: 1001,
    confDir: "/etc/vservers/web1",
    vdir,
    running: true,
    ips: [],
    services: [],
    nameservers: [],
    searchDomains: [],
    release: {
      family: "debian",
      id: "debian",
      version: "6.0.10",
      pretty: "Debian 6.0.10",
      source: "/etc/debian_version",
    },
    arch: "x86_64",
    privateDir,
    rootDir: "/vz/root/1001",
    confPath: "/etc/vz/conf/1001.conf",
    settings: [],
    unmapped: [],
  };
}

const hasTool = (name: string): boolean => {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`]);
    return true;
  } catch {
    return false;
  }
};

/** setfattr/getfattr come from Debian's attr package; python3's os.setxattr is the fallback. */
const hasAttrTools = (() => {
  try {
    execFileSync("sh", ["-c", "command -v setfattr && command -v getfattr"]);
    return true;
  } catch {
    return false;
  }
})();
function setXattr(path: string, name: string, value: string): void {
  if (hasAttrTools) execFileSync("setfattr", ["-n", name, "-v", value, path]);
  else
    execFileSync("python3", [
      "-c",
      "import os,sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())",
      path,
      name,
      value,
    ]);
}
function getXattr(path: string, name: string): string {
  if (hasAttrTools)
    return execFileSync("getfattr", ["--only-values", "-n", name, path], {
      stdio: ["ignore", "pipe", "ignore"],
    }).toString();
  return execFileSync("python3", [
    "-c",
    "import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2]).decode())",
    path,
    name,
  ]).toString();
}

/** A guest root with what a copy must keep: hard links, xattrs, a sparse file, foreign numeric owners. */
async function guestTree(): Promise<{ vdir: string; privateDir: string }> {
  const base = await mkdtemp(join(tmpdir(), "mudanza-vsync-"));
  temps.push(base);
  const vdir = join(base, "vservers/web1");
  for (const dir of ["etc", "var/www", "proc", "sys", "dev/pts", "home/alice"])
    await mkdir(join(vdir, dir), { recursive: true });
  await writeFile(join(vdir, "etc/hostname"), "web1\n");
  await writeFile(join(vdir, "var/www/index.html"), "<h1>web1</h1>\n");
  await link(join(vdir, "var/www/index.html"), join(vdir, "var/www/index-hardlink.html"));
  await writeFile(join(vdir, "home/alice/notes"), "mine\n");
  await chown(join(vdir, "home/alice/notes"), 4242, 4243); // ids no user on this host has: --numeric-ids keeps them
  await chown(join(vdir, "home/alice"), 4242, 4243);
  setXattr(join(vdir, "etc/hostname"), "user.mudanza", "kept");
  execFileSync("truncate", ["-s", "64M", join(vdir, "var/sparse.img")]);
  execFileSync("sh", [
    "-c",
    `printf tail | dd of=${join(vdir, "var/sparse.img")} bs=1 seek=67108000 conv=notrunc 2>/dev/null`,
  ]);
  await symlink("../proc/self/fd", join(vdir, "dev/fd"));
  await writeFile(join(vdir, "var/www/upload.php"), "<?php\n");
  if (hasTool("setfacl")) execFileSync("setfacl", ["-m", "u:4242:rw", join(vdir, "var/www/upload.php")]);
  await writeFile(join(vdir, "home/alice/ping"), "not really ping\n");
  if (hasTool("setcap")) execFileSync("setcap", ["cap_net_raw+ep", join(vdir, "home/alice/ping")]);
  await writeFile(join(vdir, "proc/cpuinfo"), "visible only with nonamespace\n");
  await writeFile(join(vdir, "dev/pts/0"), "not a real pty\n");
  return { vdir, privateDir: join(base, "vz/private/1001") };
}

describe("the data step: a real rsync between local directories", () => {
  it("copies hard links, xattrs, sparse files and numeric owners, leaves pseudo-fs content out, and stops when nothing changes", async () => {
    const { vdir, privateDir } = await guestTree();
    const plan = vsPlan({ maxLivePasses: 3 });
    const ctx = stepContext(
      plan,
      { source: new LocalHost("source"), target: new LocalHost("target") },
      { [FACT.inventory]: inventory(vdir, privateDir) },
    );

    const probe = await liveSyncStep.probe(ctx);
    expect(probe.commands.map((c) => c.command).join("\n")).toContain(`rsync -aHAXS --numeric-ids --delete`);
    await liveSyncStep.run(ctx, probe.plan);

    const passes = ctx.factStore[FACT.livePasses] as number[];
    expect(passes.length).toBe(2); // the second pass found nothing to send
    expect(passes[0]).toBeGreaterThan(64 * 1024 * 1024);
    expect(passes[1]).toBe(0);
    expect(ctx.progressEvents.length).toBeGreaterThan(0);
    expect(ctx.progressEvents.at(-1)).toMatchObject({ label: expect.stringMatching(/^live pass/) });

    const a = await stat(join(privateDir, "var/www/index.html"));
    const b = await stat(join(privateDir, "var/www/index-hardlink.html"));
    expect(a.ino).toBe(b.ino);
    expect(getXattr(join(privateDir, "etc/hostname"), "user.mudanza")).toBe("kept");
    // ACLs (-A) and file capabilities (security.capability, -X) are what the by-hand recipe loses
    if (hasTool("getfacl"))
      expect(execFileSync("getfacl", ["-cp", join(privateDir, "var/www/upload.php")]).toString()).toMatch(
        /^user:4242:rw-$/m,
      );
    if (hasTool("getcap"))
      expect(execFileSync("getcap", [join(privateDir, "home/alice/ping")]).toString()).toMatch(/cap_net_raw[=+]ep/);
    const sparse = await stat(join(privateDir, "var/sparse.img"));
    expect(sparse.size).toBe(64 * 1024 * 1024);
    expect(sparse.blocks * 512).toBeLessThan(1024 * 1024);
    const notes = await stat(join(privateDir, "home/alice/notes"));
    expect([notes.uid, notes.gid]).toEqual([4242, 4243]);
    expect(await readlink(join(privateDir, "dev/fd"))).toBe("../proc/self/fd");
    expect((await lstat(join(privateDir, "proc"))).isDirectory()).toBe(true);
    await expect(readFile(join(privateDir, "proc/cpuinfo"))).rejects.toThrow(/ENOENT/);
    await expect(readFile(join(privateDir, "dev/pts/0"))).rejects.toThrow(/ENOENT/);
    expect((await liveSyncStep.verify(ctx)).ok).toBe(true);
  });

  it("tolerates files that vanish during a live pass (rsync exit 24)", async () => {
    const base = await mkdtemp(join(tmpdir(), "mudanza-vanish-"));
    temps.push(base);
    const vdir = join(base, "vservers/web1");
    const privateDir = join(base, "vz/private/1001");
    await mkdir(vdir, { recursive: true });
    await writeFile(join(vdir, "aaa-big.bin"), Buffer.alloc(3 * 1024 * 1024, 7));
    await writeFile(join(vdir, "zzz-vanishes.log"), "rotated away mid-copy\n");
    // The same rsync, slowed down; zzz-vanishes.log goes when rsync first reports transferring data, that
    // is after the file list (which names it) was built and before it is opened: by order, not by a timer.
    let vanish: Promise<void> | undefined;
    class SlowLocalHost extends LocalHost {
      override exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
        if (!command.includes("; exec rsync ")) return super.exec(command, options);
        const onStdout = (line: string): void => {
          if (!vanish && /\d%/.test(line)) vanish = unlink(join(vdir, "zzz-vanishes.log"));
          options.onStdout?.(line);
        };
        return super.exec(command.replace("; exec rsync ", "; exec rsync --bwlimit=1500 "), { ...options, onStdout });
      }
    }
    const ctx = stepContext(
      vsPlan({ maxLivePasses: 2 }),
      { source: new SlowLocalHost("source"), target: new LocalHost("target") },
      { [FACT.inventory]: inventory(vdir, privateDir) },
    );
    await liveSyncStep.run(ctx, (await liveSyncStep.probe(ctx)).plan);
    expect(vanish, "rsync reported no progress before the end of the pass").toBeDefined();
    await vanish;
    expect(ctx.lines.join("\n")).toMatch(/some files vanished/);
    expect(ctx.lines.join("\n")).toMatch(/file has vanished: .*zzz-vanishes\.log/);
    expect((await stat(join(privateDir, "aaa-big.bin"))).size).toBe(3 * 1024 * 1024);
  }, 30_000);

  it("pushes over the source's own ssh with host keys checked, to root@node:/vz/private/CTID/", () => {
    const plan = vsPlan(
      { targetAddressFromSource: "198.18.10.5", targetPortFromSource: 2222 },
      { source: { host: "vs1.example.net" }, target: { host: "node1.example.net" } },
    );
    const argv = vserverRsyncArgv(plan, "/vservers/web1", "/vz/private/1001");
    expect(argv.slice(0, 4)).toEqual(["rsync", "-aHAXS", "--numeric-ids", "--delete"]);
    expect(argv).toContain("--info=progress2");
    expect(argv).toEqual(expect.arrayContaining(["--exclude=/proc/*", "--exclude=/sys/*", "--exclude=/dev/pts/*"]));
    expect(argv[argv.indexOf("-e") + 1]).toBe("ssh -p 2222 -o BatchMode=yes");
    expect(argv.slice(-2)).toEqual(["/vservers/web1/", "root@198.18.10.5:/vz/private/1001/"]);
    expect(argv.join(" ")).not.toMatch(/StrictHostKeyChecking=no|UserKnownHostsFile=\/dev\/null/);
  });
});
