import { readFileSync } from "node:fs";
import type { ScriptedHost } from "../../../src/hosts/scripted-host.js";
import { innerRsync, isMarkedLivePass, RSYNC_PASS } from "../../support/locked-rsync.js";
import { LIVE_PASS_MARK } from "../../../src/steps/rsync/changed-since.js";
import { ACTIVE_SERVICES_COMMAND } from "../../../src/steps/services/unit-lists.js";
import { installedPackages, type PackageWorld } from "./simulate-packages.js";
import { differenceLines, passScope, simulateShortFreeze, type ShortFreezeWorld } from "./simulate-short-freeze.js";

/**
 * Rules that make two scripted hosts behave like the real machines for a full `--yes` run: the rsync
 * rule copies the source's file tree onto the target (excludes and --delete honoured), systemctl keeps
 * unit states, the package manager "installs" the kernel, a reboot changes the boot id. Replies reuse
 * real rsync output (fixtures/hosts/rsync-output) with the byte counts the test asks for.
 */
export interface SimOptions {
  family: "rhel" | "debian";
  kernel: string;
  /** "Total transferred file size" reported by each pass, in order (last value repeats). */
  passBytes?: number[];
  /** Exit codes of each pass (default 0). */
  passCodes?: number[];
  /** Make the target's start of the databases fail. */
  failTargetStart?: boolean;
  /** Make the first kernel install fail (a repository that is down). */
  failInstallOnce?: boolean;
  /** The source's mariadb.service is socket-activated: while mariadb.socket listens, a client's connect starts it. */
  socketActivated?: boolean;
  /** Something outside the freeze (a cron job, an admin) starts the source's database during a pass. */
  startDatabaseDuringPass?: boolean;
}

const RSYNC_OUT = readFileSync("fixtures/hosts/rsync-output/first-pass.txt", "utf8");
const MIGRATION_PUB =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO3mYpY2Z8Pq1m6wqB3sZ0u0b4fJr0yG2mWm7hX2xQ9a mudanza-migration-key";

export interface SimState {
  /** The short final pass's list of changed paths and proof (simulate-short-freeze.ts). */
  shortFreeze: ShortFreezeWorld;
  passes: string[];
  units: { source: Map<string, boolean>; target: Map<string, boolean> };
  /** How often each unit became active (systemd's ActiveEnterTimestampMonotonic moves each time). */
  activations: { source: Map<string, number>; target: Map<string, number> };
  kernelOwned: boolean;
  bootPackagesInstalled: boolean;
  /** Rows per "database.table" in each side's MariaDB; the copy carries the source's to the target. */
  rows: { source: Map<string, number>; target: Map<string, number> };
  /** The target's package database: the VM's, then the container's after a pass, plus what is installed. */
  packages: PackageWorld;
}

function unquote(word: string): string {
  return word.startsWith("'") ? word.slice(1, -1).replace(/'\\''/g, "'") : word;
}

/** Splits a command line into words (single quotes only, as shellQuote writes them). */
export function words(command: string): string[] {
  return [...command.matchAll(/'(?:[^']|'\\'')*'(?:\\'[^\s]*)?|[^\s]+/g)].map((m) => unquote(m[0]));
}

const under = (path: string, prefix: string): boolean =>
  path === prefix || path.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`);

/** Network and config directories are listed from the current tree (the fixture's answer is the pre-copy one). */
export function listFindFromTree(host: ScriptedHost): void {
  host.on(/^find \/etc\/.* -maxdepth 1 /, (command, h) => {
    const dirs = words(command)
      .slice(1)
      .filter((w) => w.startsWith("/"));
    const found = [...h.files.entries()]
      .filter(
        ([p, f]) => f.type !== "dir" && dirs.some((d) => p.startsWith(`${d}/`) && !p.slice(d.length + 1).includes("/")),
      )
      .map(([p]) => p);
    return {
      stdout: found
        .sort()
        .map((p) => `${p}\n`)
        .join(""),
      code: dirs.every((d) => h.files.has(d)) ? 0 : 1,
    };
  });
}

export function simulate(source: ScriptedHost, target: ScriptedHost, options: SimOptions): SimState {
  const state: SimState = {
    passes: [],
    units: {
      source: new Map([
        ["mariadb.service", true],
        ["sshd.service", true],
        ["crond.service", true],
        ["ssh.service", true],
        ...(options.socketActivated ? ([["mariadb.socket", true]] as const) : []),
      ]),
      target: new Map(),
    },
    activations: { source: new Map(), target: new Map() },
    kernelOwned: true,
    bootPackagesInstalled: true,
    rows: {
      source: new Map([
        ["lab.acks", 500],
        ["shop.orders", 42],
      ]),
      target: new Map(),
    },
    packages: installedPackages(target, options.family),
    shortFreeze: simulateShortFreeze(source, target),
  };
  const hosts = { source, target };

  for (const [role, host] of Object.entries(hosts) as Array<["source" | "target", ScriptedHost]>) {
    host.on(/^journalctl --vacuum-size=100M$|^(dnf|yum) clean all$|^apt-get clean$/, { stdout: "" }, { mutates: true });
    host.on(
      /^(dnf -y upgrade|yum -y update)$|DEBIAN_FRONTEND=noninteractive apt-get (update|-y .*dist-upgrade)$/,
      { stdout: "Nothing to do.\n" },
      { mutates: true },
    );
    host.on(
      "nohup sh -c 'sleep 1; systemctl reboot' >/dev/null 2>&1 &",
      (_c, h) => {
        h.deleteFile("/run/mudanza-reboot-marker");
        // A container restart keeps the node's boot id; a VM gets a new one.
        if (role === "target") h.putFile("/proc/sys/kernel/random/boot_id", `${crypto.randomUUID()}\n`);
        return {};
      },
      { mutates: true },
    );
    host.on(
      /^systemctl show -p Id -p LoadState -p ActiveState -p UnitFileState -- .*(mariadb|sshd|crond|ssh)\.service/,
      (command) => {
        const units = words(command).slice(11);
        const map = state.units[role];
        return {
          stdout: units
            .map((u) => {
              const id = /^(mysql|mysqld)\.service$/.test(u) && map.has("mariadb.service") ? "mariadb.service" : u;
              const known = map.has(id);
              return `Id=${id}\nLoadState=${known ? "loaded" : "not-found"}\nActiveState=${map.get(id) ? "active" : "inactive"}\nUnitFileState=${known ? "enabled" : ""}\n`;
            })
            .join("\n"),
        };
      },
    );
    const setUnit = (unit: string, active: boolean): void => {
      if (active && !state.units[role].get(unit))
        state.activations[role].set(unit, (state.activations[role].get(unit) ?? 0) + 1);
      state.units[role].set(unit, active);
    };
    host.on(
      /^systemctl (stop|start) /,
      (command) => {
        const [, verb, ...units] = words(command).filter((w) => w !== "--");
        if (verb === "start" && role === "target" && options.failTargetStart)
          return {
            code: 1,
            stderr: "Job for mariadb.service failed because the control process exited with error code.\n",
          };
        for (const u of units) if (role === "source" || state.units.target.has(u)) setUnit(u, verb === "start");
        return {};
      },
      { mutates: true },
    );
    host.on(
      /^systemctl daemon-reload( && systemctl (stop|start) .*)?$/,
      (command) => {
        const rest = words(command)
          .slice(4)
          .filter((w) => w !== "--");
        if (rest.length === 0) return {};
        const [verb, ...units] = rest;
        if (verb === "start" && role === "target" && options.failTargetStart)
          return { code: 1, stderr: "Job for mariadb.service failed.\n" };
        for (const u of units) if (state.units.target.has(u)) setUnit(u, verb === "start");
        return {};
      },
      { mutates: true },
    );
    // Properties as `systemctl show -p ... -- UNITS` prints them (the unit-state query above has its own rule) (a property asked by -p shows even when empty).
    host.on(/^systemctl show -p Id (?!-p LoadState -p ActiveState -p UnitFileState )(-p [A-Za-z]+ )+-- /, (command) => {
      const w = words(command);
      const props = w.filter((_x, i) => w[i - 1] === "-p");
      const units = w.slice(w.indexOf("--") + 1);
      const map = state.units[role];
      const value = (unit: string, prop: string): string => {
        if (prop === "Id") return unit;
        if (prop === "ActiveState") return map.get(unit) ? "active" : "inactive";
        if (prop === "ActiveEnterTimestampMonotonic")
          return String(1_000_000 * (state.activations[role].get(unit) ?? 0) + 5_000_000);
        if (prop === "TriggeredBy")
          return unit === "mariadb.service" && map.has("mariadb.socket") ? "mariadb.socket" : "";
        return "";
      };
      return { stdout: units.map((u) => props.map((p) => `${p}=${value(u, p)}\n`).join("")).join("\n") };
    });
    // Authorizing / revoking the migration key edits the in-memory authorized_keys.
    host.on(
      /^mkdir -p -m 700 \/root\/\.ssh && touch /,
      (command, h) => {
        // One command may authorize several keys, each with its own grep -qxF ... || printf.
        for (const match of command.matchAll(/grep -qxF ('(?:[^']|'\\'')*'|\S+)/g)) {
          const line = unquote(match[1]!);
          const current = h.files.get("/root/.ssh/authorized_keys")?.content ?? "";
          if (!current.split("\n").includes(line))
            h.putFile(
              "/root/.ssh/authorized_keys",
              `${current}${current === "" || current.endsWith("\n") ? "" : "\n"}${line}\n`,
              { mode: 0o600 },
            );
        }
        return {};
      },
      { mutates: true },
    );
    host.on(
      /^if test -f \/root\/\.ssh\/authorized_keys; then sed -i /,
      (command, h) => {
        const file = h.files.get("/root/.ssh/authorized_keys");
        if (file)
          h.putFile(
            "/root/.ssh/authorized_keys",
            file.content
              .split("\n")
              .filter((l) => !l.endsWith(" mudanza-migration-key"))
              .join("\n"),
            { mode: 0o600 },
          );
        if (command.includes("rm -rf /root/.mudanza-migrate"))
          for (const p of [...h.files.keys()]) if (under(p, "/root/.mudanza-migrate")) h.deleteFile(p);
        return {};
      },
      { mutates: true },
    );
    // network-fixup's file handling.
    host.on(/^mkdir -p -m 700 \/root\/mudanza-backup\//, (command, h) => (h.putDir(words(command)[4]!), {}), {
      mutates: true,
    });
    host.on(
      /^if test -e (\S+) \|\| test -L \S+; then mkdir -p \S+ && cp -a (\S+) (\S+); fi$/,
      (command, h) => {
        const w = words(command);
        const from = w[3]!;
        const to = w[w.length - 2]!.replace(/;$/, "");
        const file = h.files.get(from);
        if (file) h.files.set(to, { ...file });
        return {};
      },
      { mutates: true },
    );
    host.on(/^if test -e \/etc\/resolv\.conf/, {}, { mutates: true });
    host.on(/^rm -f \S+( && mkdir -p \S+)?$/, (command, h) => (h.deleteFile(words(command)[2]!), {}), {
      mutates: true,
    });
    host.on(
      /^ln -s(fn)? \S+ \S+$/,
      (command, h) => {
        const w = words(command);
        h.putSymlink(w[3]!, w[2]!);
        return {};
      },
      { mutates: true },
    );
    host.on(/^systemctl enable -- \S+$/, {}, { mutates: true });
    host.on("touch /.autorelabel", (_c, h) => (h.putFile("/.autorelabel", ""), {}), { mutates: true });
    listFindFromTree(host);
    simulateMariadb(host, role, state);
  }
  // The source's active services as systemctl lists them, from the unit states (the tool's own login included).
  source.on(ACTIVE_SERVICES_COMMAND, () => ({
    stdout: [...state.units.source.entries(), ["user@0.service", true] as const]
      .filter(([u, active]) => active && u.endsWith(".service"))
      .map(([u]) => `${u.padEnd(26)} loaded active running ${u.replace(/\.service$/, "")}\n`)
      .join(""),
  }));

  source.on(
    /^mkdir -p -m 700 \/root\/\.mudanza-migrate && /,
    (_c, h) => {
      if (!h.files.has("/root/.mudanza-migrate/id_ed25519")) {
        h.putDir("/root/.mudanza-migrate", 0o700);
        h.putFile("/root/.mudanza-migrate/id_ed25519", "(simulated private key: never read by the tool)\n", {
          mode: 0o600,
        });
        h.putFile("/root/.mudanza-migrate/id_ed25519.pub", `${MIGRATION_PUB}\n`);
      }
      return {};
    },
    { mutates: true },
  );

  // The copy: every source file not excluded replaces the target's; target files the source lacks go (--delete).
  source.on(
    RSYNC_PASS,
    (locked, _host, execOptions) => {
      const command = innerRsync(locked);
      const w = words(command);
      const excludes = w.filter((x) => x.startsWith("--exclude=")).map((x) => x.slice("--exclude=".length));
      const isExcluded = (p: string): boolean => excludes.some((e) => under(p, e));
      const dryRun = w.includes("--dry-run");
      if (dryRun && w.includes("--out-format=%i %n")) return { stdout: differenceLines(source, target, isExcluded) };
      const n = state.passes.length;
      const inScope = passScope(w, source, execOptions?.stdin) ?? (() => true);
      if (!dryRun) {
        state.passes.push(command);
        // Clients keep connecting while rsync reads the tree: a listening socket starts the database again.
        const db = state.units.source;
        if (!db.get("mariadb.service") && (db.get("mariadb.socket") || options.startDatabaseDuringPass)) {
          db.set("mariadb.service", true);
          state.activations.source.set("mariadb.service", (state.activations.source.get("mariadb.service") ?? 0) + 1);
        }
        // The target now carries the source's package database (no kernel, no bootloader) and unit files.
        state.kernelOwned = false;
        state.bootPackagesInstalled = false;
        state.packages.replaceByContainer();
        if (!state.units.target.has("mariadb.service")) state.units.target.set("mariadb.service", false);
        // A --files-from pass deletes only inside listed directories; the sim lists files, so it deletes nothing.
        const deletes = !w.some((x) => x.startsWith("--files-from="));
        for (const p of [...target.files.keys()])
          if (deletes && inScope(p) && !isExcluded(p) && !source.files.has(p)) target.deleteFile(p);
        for (const [p, f] of source.files) if (inScope(p) && !isExcluded(p)) target.files.set(p, { ...f });
        if (isMarkedLivePass(locked) && (options.passCodes?.[n] ?? 0) === 0) source.putFile(LIVE_PASS_MARK, "");
        state.rows.target = new Map(state.rows.source);
      }
      const bytesList = options.passBytes ?? [30_000_003];
      const bytes = bytesList[Math.min(n, bytesList.length - 1)]!;
      const stdout = RSYNC_OUT.replace(
        /^Total transferred file size: [\d,]+ bytes$/m,
        `Total transferred file size: ${bytes.toLocaleString("en-US")} bytes`,
      );
      return {
        code: dryRun ? 0 : (options.passCodes?.[n] ?? 0),
        stdout,
        stderr: options.passCodes?.[n] === 24 ? 'file has vanished: "/var/lib/mysql/ib_logfile0"\n' : "",
      };
    },
    { mutates: true },
  );

  // After the copy the target's package database is the source's: it owns no kernel and no bootloader.
  const vmlinuz = `/boot/vmlinuz-${options.kernel}`;
  const copied = (): boolean => state.passes.length > 0;
  if (options.family === "rhel") {
    target.on(`rpm -qf ${vmlinuz}`, () =>
      copied() && !state.kernelOwned
        ? { code: 1, stdout: `file ${vmlinuz} is not owned by any package\n` }
        : { stdout: `kernel-core-${options.kernel}\n` },
    );
    target.on(/^rpm -q --qf '%\{NAME\}\\n' /, (command) => ({
      stdout: words(command)
        .slice(4)
        .map((n) => (state.bootPackagesInstalled ? `${n}\n` : `package ${n} is not installed\n`))
        .join(""),
      code: state.bootPackagesInstalled ? 0 : 1,
    }));
    target.on("rm -f /var/lib/rpm/__db.0*", {}, { mutates: true });
    target.on(
      /^dnf -y install kernel-/,
      (command) => {
        state.kernelOwned = true;
        state.bootPackagesInstalled = true;
        state.packages.installKernel(words(command).slice(3));
        return { stdout: `Installed:\n  ${words(command).slice(3).join("\n  ")}\n\nComplete!\n` };
      },
      { mutates: true },
    );
  } else {
    target.on(`dpkg -S ${vmlinuz}`, () =>
      copied() && !state.kernelOwned
        ? { code: 1, stderr: `dpkg-query: no path found matching pattern ${vmlinuz}\n` }
        : { stdout: `linux-image-${options.kernel}: ${vmlinuz}\n` },
    );
    target.on(/^dpkg-query -W -f '\$\{db:Status-Abbrev\} \$\{binary:Package\}\\n' grub/, (command) => ({
      stdout: state.bootPackagesInstalled
        ? words(command)
            .slice(4)
            .map((n) => `ii  ${n}\n`)
            .join("")
        : "",
      stderr: state.bootPackagesInstalled ? "" : "dpkg-query: no packages found matching grub-pc\n",
      code: state.bootPackagesInstalled ? 0 : 1,
    }));
    let installFailures = options.failInstallOnce ? 1 : 0;
    target.on(
      /^DEBIAN_FRONTEND=noninteractive apt-get -y .* install linux-image-/,
      (command) => {
        if (installFailures-- > 0)
          return {
            code: 100,
            stderr:
              "E: Failed to fetch http://198.18.1.1/debian/pool/main/l/linux-signed-amd64/linux-image-6.1.0-35-amd64_6.1.137-1_amd64.deb  Connection refused\n",
          };
        state.kernelOwned = true;
        state.bootPackagesInstalled = true;
        const w = words(command);
        state.packages.installKernel(w.slice(w.indexOf("install") + 1));
        return { stdout: `Setting up linux-image-${options.kernel} (6.1.137-1) ...\n` };
      },
      { mutates: true },
    );
  }
  target.on("ip -o route show default", { stdout: "default via 198.18.20.1 dev ens3 proto static metric 100 \n" });
  target.on("ip -o addr show scope global", {
    stdout:
      "2: ens3    inet 198.18.20.10/24 brd 198.18.20.255 scope global noprefixroute ens3\\       valid_lft forever preferred_lft forever\n",
  });
  for (const u of ["sshd.service", "crond.service", "ssh.service"]) state.units.target.set(u, true);
  return state;
}

/**
 * `mariadb -N -B -e SQL` as MariaDB answers the table list and the counts: tab-separated rows, no
 * header; "ERROR 2002" when the server is not running. Each count on the source is followed by a write
 * (a client keeps inserting until the freeze stops the server).
 */
function simulateMariadb(host: ScriptedHost, role: "source" | "target", state: SimState): void {
  host.on(/^(mariadb|mysql) -N -B -e /, (command) => {
    if (!state.units[role].get("mariadb.service"))
      return {
        code: 1,
        stderr: "ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)\n",
      };
    const sql = words(command)[4]!;
    const rows = state.rows[role];
    if (sql.startsWith("SELECT TABLE_SCHEMA, TABLE_NAME"))
      return {
        stdout: [...rows.keys()]
          .sort()
          .map((k) => `${k.replace(".", "\t")}\n`)
          .join(""),
      };
    const counted = [...sql.matchAll(/SELECT (\d+), COUNT\(\*\) FROM `([^`]+)`\.`([^`]+)`/g)];
    const missing = counted.find((m) => !rows.has(`${m[2]}.${m[3]}`));
    if (missing)
      return { code: 1, stderr: `ERROR 1146 (42S02) at line 1: Table '${missing[2]}.${missing[3]}' doesn't exist\n` };
    const stdout = counted.map((m) => `${m[1]}\t${rows.get(`${m[2]}.${m[3]}`)}\n`).join("");
    if (role === "source") for (const m of counted) rows.set(`${m[2]}.${m[3]}`, rows.get(`${m[2]}.${m[3]}`)! + 1);
    return { stdout };
  });
}
