import { execa } from "execa";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ScriptedHost } from "../../src/hosts/scripted-host.js";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";
import { compareTopLinks, readTopLinks } from "../../src/steps/host/dirlinks.js";
import { parseDf } from "../../src/steps/host/df.js";
import { fingerprintOf, knownHostsLines, readHostKeys } from "../../src/steps/ssh-access/host-keys.js";
import {
  rebootAndWait,
  rebootTiming,
  REBOOT_COMMAND,
  REBOOT_MARKER,
  SYSTEM_STATE_COMMAND,
  waitForBootToFinish,
} from "../../src/steps/host/reboot.js";
import { detectDatabases, listDatabaseUnitsCommand, parseShowUnits } from "../../src/steps/services/units.js";
import { authorizeCommand, revokeCommand } from "../../src/steps/ssh-access/migration-key.js";
import { sshTransport } from "../../src/steps/rsync/command.js";

rebootTiming.firstDelayMs = 1;
rebootTiming.maxDelayMs = 2;
rebootTiming.settlePollMs = 1;

describe("host keys", () => {
  it("fingerprints equal ssh-keygen -lf for every key type of the fixtures", async () => {
    const host = await loadScriptedHost("fixtures/hosts/almalinux-8.9-kvm-target", "target");
    const keys = await readHostKeys(host);
    expect(keys.map((k) => k.type).sort()).toEqual(["ecdsa-sha2-nistp256", "ssh-ed25519", "ssh-rsa"]);
    for (const key of keys) {
      const out = await execa("ssh-keygen", ["-lf", `fixtures/hosts/almalinux-8.9-kvm-target/files${key.file}`]);
      expect(out.stdout.split(" ")[1]).toBe(key.fingerprint);
    }
  });

  it("known_hosts lines name the address (bracketed with a non-22 port) and ssh accepts them", async () => {
    const host = await loadScriptedHost("fixtures/hosts/debian-12-kvm-target", "target");
    const keys = await readHostKeys(host);
    const lines = knownHostsLines("198.18.20.11", 2222, keys);
    expect(lines[0]).toMatch(/^\[198\.18\.20\.11\]:2222 ssh-ed25519 AAAA/);
    expect(knownHostsLines("198.18.20.11", 22, keys)[0]).toMatch(/^198\.18\.20\.11 ssh-ed25519 /);
    const dir = await mkdtemp(join(tmpdir(), "mudanza-kh-"));
    const file = join(dir, "known_hosts");
    await execa("sh", ["-c", `cat > ${file}`], { input: lines.join("\n") + "\n" });
    const found = await execa("ssh-keygen", ["-F", "[198.18.20.11]:2222", "-f", file]);
    expect(found.stdout).toContain("ssh-ed25519");
    expect(fingerprintOf(keys[0]!.base64)).toBe(keys[0]!.fingerprint);
  });

  it("the -e transport pins our own known_hosts and never disables checking", () => {
    const e = sshTransport({
      user: "root",
      address: "198.18.20.11",
      port: 2222,
      identityFile: "/root/.mudanza-migrate/id_ed25519",
      knownHostsFile: "/root/.mudanza-migrate/known_hosts",
    });
    expect(e).toBe(
      "ssh -i /root/.mudanza-migrate/id_ed25519 -p 2222 -o UserKnownHostsFile=/root/.mudanza-migrate/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes",
    );
    expect(e).not.toMatch(/StrictHostKeyChecking=no|\/dev\/null/);
  });
});

describe("migration key commands, run for real by sh on a scratch authorized_keys", () => {
  it("authorize is idempotent and fixes a missing final newline; revoke removes only the migration key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mudanza-ak-"));
    const file = join(dir, "authorized_keys");
    const relocate = (c: string): string =>
      c.replaceAll("/root/.ssh/authorized_keys", file).replaceAll("/root/.ssh", dir);
    await execa("sh", ["-c", `printf 'ssh-ed25519 AAAAadmin admin@workstation' > ${file}`]);
    const line =
      "no-agent-forwarding,no-port-forwarding,no-X11-forwarding,no-pty ssh-ed25519 AAAAC3Nzmig mudanza-migration-key";
    await execa("sh", ["-c", relocate(authorizeCommand(line))]);
    await execa("sh", ["-c", relocate(authorizeCommand(line))]);
    expect(await readFile(file, "utf8")).toBe(`ssh-ed25519 AAAAadmin admin@workstation\n${line}\n`);
    await execa("sh", ["-c", relocate(revokeCommand("target"))]);
    expect(await readFile(file, "utf8")).toBe("ssh-ed25519 AAAAadmin admin@workstation\n");
  });
});

describe("usrmerge comparison", () => {
  const merged = ["-> usr/bin", "-> usr/sbin", "-> usr/lib", "-> usr/lib64"].map((state, i) => ({
    path: ["/bin", "/sbin", "/lib", "/lib64"][i]!,
    state,
  }));
  const split = ["/bin", "/sbin", "/lib", "/lib64"].map((path) => ({ path, state: "dir" }));
  it("both merged: copy with --keep-dirlinks", () => {
    const verdict = compareTopLinks(merged, merged);
    expect(verdict.keepDirlinks).toBe(true);
    expect(verdict.block).toBeUndefined();
  });
  it("both unmerged: plain copy", () => {
    const verdict = compareTopLinks(split, split);
    expect(verdict.keepDirlinks).toBe(false);
    expect(verdict.block).toBeUndefined();
  });
  it("unmerged source onto merged target: blocked, with the way out", () =>
    expect(compareTopLinks(split, merged).block).toMatch(/usrmerge/));
  it("merged source onto unmerged target: blocked", () =>
    expect(compareTopLinks(merged, split).block).toMatch(/replace whole directories with links/));
  it("reads the links of a fixture", async () => {
    expect(await readTopLinks(await loadScriptedHost("fixtures/hosts/debian-12-kvm-target", "t"))).toEqual(merged);
  });
});

describe("systemctl show and df", () => {
  it("folds aliases (mysql.service is mariadb.service) and reports plan units that do not exist", async () => {
    const source = await loadScriptedHost("fixtures/hosts/debian-12-openvz-source", "source");
    expect(await detectDatabases(source, [])).toEqual({
      active: ["mariadb.service"],
      installedInactive: [],
      missingFromPlan: [],
    });
    source.on(
      "systemctl show -p Id -p LoadState -p ActiveState -p UnitFileState -- mariadb.service mysql.service mysqld.service postgresql.service redis-server.service redis.service mongod.service",
      {
        stdout:
          "Id=mariadb.service\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\n\nId=mariadb.service\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\n\nId=mariadb.service\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\n\nId=postgresql.service\nLoadState=loaded\nActiveState=inactive\nUnitFileState=disabled\n\nId=redis-server.service\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n\nId=redis.service\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n\nId=mongod.service\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n",
      },
    );
    expect(await detectDatabases(source, ["redis-server"])).toEqual({
      active: ["mariadb.service"],
      installedInactive: ["postgresql.service"],
      // as the plan wrote it: the messages name what the user typed
      missingFromPlan: ["redis-server"],
    });
    expect(parseShowUnits("Id=x.service\nActiveState=active\nLoadState=loaded\n", ["x"])[0]).toMatchObject({
      id: "x.service",
      active: true,
      loaded: true,
      unitFileState: "",
    });
  });

  it("finds PostgreSQL by version or cluster (PGDG's postgresql-16, Debian's postgresql@15-main), active or not", async () => {
    const source = await loadScriptedHost("fixtures/hosts/almalinux-8.9-openvz-source", "source");
    // as systemctl prints them: columns padded to the longest unit name; PGDG's and Debian's own descriptions
    source.on(listDatabaseUnitsCommand(), {
      stdout:
        "postgresql-16.service      loaded active   running PostgreSQL 16 database server\npostgresql@15-main.service loaded inactive dead    PostgreSQL Cluster 15-main\n",
    });
    expect(await detectDatabases(source, [])).toEqual({
      active: ["mariadb.service", "postgresql-16.service"],
      installedInactive: ["postgresql@15-main.service"],
      missingFromPlan: [],
    });
    source.on(listDatabaseUnitsCommand(), { code: 1, stderr: "Failed to connect to bus: Host is down\n" });
    await expect(detectDatabases(source, [])).rejects.toThrow(
      /list-units on source exited 1: Failed to connect to bus/,
    );
  });

  it("parses df -P -B1 as coreutils prints it", async () => {
    const out = (await execa("df", ["-P", "-B1", "/"])).stdout;
    const usage = parseDf(out);
    expect(usage!.sizeBytes).toBeGreaterThan(usage!.usedBytes);
    expect(parseDf("nonsense")).toBeNull();
  });

  it("the one df reader takes the columns and the block size from the header (-B1, -k, with and without -T)", async () => {
    for (const args of [
      ["-P", "-B1", "/"],
      ["-Pk", "/"],
      ["-P", "-T", "-B1", "--", "/"],
    ]) {
      const row = parseDf((await execa("df", args)).stdout);
      const bytes = parseDf((await execa("df", ["-P", "-B1", "/"])).stdout);
      expect(row, args.join(" ")).not.toBeNull();
      expect(row!.mountPoint).toBe("/");
      // the same filesystem, whatever the unit (used space may move a little between two calls)
      expect(Math.abs(row!.sizeBytes - bytes!.sizeBytes)).toBeLessThan(1024 * 1024);
    }
    expect(parseDf((await execa("df", ["-P", "-T", "-B1", "/"])).stdout)!.fsType).toMatch(/^\w+$/);
  });
});

describe("reboot and wait", () => {
  function rebootingHost(opts: { container: boolean; downFor: number }): ScriptedHost {
    const host = new ScriptedHost("target");
    host.putFile("/proc/sys/kernel/random/boot_id", "aaaa\n");
    host.on(
      REBOOT_COMMAND,
      (_c, h) => {
        h.deleteFile(REBOOT_MARKER);
        if (!opts.container) h.putFile("/proc/sys/kernel/random/boot_id", "bbbb\n");
        h.reconnectFailures = opts.downFor;
        return {};
      },
      { mutates: true },
    );
    return host;
  }

  it("a VM: reconnects after refused attempts and sees a new boot id, pinned to the given keys", async () => {
    const host = rebootingHost({ container: false, downFor: 3 });
    const outcome = await rebootAndWait(host, { timeoutSec: 30, acceptHostKeys: ["SHA256:abc"] });
    expect(outcome).toMatchObject({ bootIdBefore: "aaaa", bootIdAfter: "bbbb", provedByMarker: false, attempts: 4 });
    expect(
      host.log
        .filter((l) => l.kind === "reconnect")
        .every((l) => l.kind === "reconnect" && l.acceptHostKeys?.[0] === "SHA256:abc"),
    ).toBe(true);
  });

  it("after the new boot, waits while systemd is still starting units, then returns", async () => {
    const host = rebootingHost({ container: false, downFor: 0 });
    const states = ["initializing", "starting", "starting", "degraded"];
    host.on(SYSTEM_STATE_COMMAND, () => {
      const state = states.shift() ?? "running";
      return { stdout: `${state}\n`, code: state === "running" ? 0 : 1 };
    });
    const lines: string[] = [];
    await rebootAndWait(host, { timeoutSec: 30, log: (l) => lines.push(l) });
    expect(states).toEqual([]);
    expect(lines).toContain("target: the boot is still initializing; waiting for its units");
  });

  it("the boot wait stops at its deadline, and does not wait on a host without systemd", async () => {
    const starting = new ScriptedHost("target").on(SYSTEM_STATE_COMMAND, { stdout: "starting\n", code: 1 });
    const lines: string[] = [];
    expect(await waitForBootToFinish(starting, Date.now() + 30, { log: (l) => lines.push(l) })).toBe("starting");
    expect(lines.at(-1)).toBe("target: the boot is still starting; checking it as it is");
    const noSystemd = new ScriptedHost("target");
    expect(await waitForBootToFinish(noSystemd, Date.now() + 60_000)).toBe("unknown (exit 127)");
    expect(noSystemd.log.filter((l) => l.kind === "exec")).toHaveLength(1);
  });

  it("a container keeps the node's boot id: the /run marker proves the restart", async () => {
    const outcome = await rebootAndWait(rebootingHost({ container: true, downFor: 0 }), { timeoutSec: 30 });
    expect(outcome).toMatchObject({ bootIdBefore: "aaaa", bootIdAfter: "aaaa", provedByMarker: true });
  });

  it("gives up after the timeout with a clear message", async () => {
    const host = rebootingHost({ container: false, downFor: 1_000_000 });
    rebootTiming.firstDelayMs = 20;
    try {
      await expect(rebootAndWait(host, { timeoutSec: 0.1 })).rejects.toThrow(
        /did not come back with a new boot within 0.1 s .*connection refused/,
      );
    } finally {
      rebootTiming.firstDelayMs = 1;
    }
  });
});
