import { posix } from "node:path";
import type { Host } from "../hosts/host.js";
import { cmd, sh } from "../hosts/quote.js";
import { listEntries } from "./paths.js";
import type { GuestRelease } from "./release.js";
import { readPlanned } from "./fixup-read.js";
import { nisDomainFixup } from "./nis-domain-fixup.js";
import { POINTLESS_SERVICES } from "./pointless-services.js";
import { exitedWith, failureText } from "../hosts/failure-text.js";

/**
 * What a VServer guest tree needs before it boots as an OpenVZ container, as data: each fix-up says
 * why, finds what to change read-only (`plan`), and the changes are applied by one generic function
 * that backs up every file it touches. Sources: the OpenVZ wiki's physical-to-container procedure,
 * vzctl's etc/dists/scripts (what vzctl itself writes at start), util-vserver (what VServer did for
 * the guest that nothing does any more).
 */
export type FixupChange =
  | { kind: "rewrite"; path: string; content: string; detail: string }
  | { kind: "symlink"; path: string; target: string; detail: string }
  | { kind: "mknod"; path: string; major: number; minor: number; mode: number; detail: string }
  | { kind: "remove"; path: string; detail: string };

export interface FixupTree {
  host: Host;
  /** The guest root: /vservers/NAME before the copy, /vz/private/CTID after. */
  root: string;
  release: GuestRelease;
  /** uts/domainname of the guest, when it had one. */
  nisDomain?: string;
  /** Content earlier fix-ups will write (path relative to root): a later one that edits the same file starts from it. */
  pending?: Map<string, string>;
}

export interface Fixup {
  id: string;
  title: string;
  why: string;
  plan(tree: FixupTree): Promise<FixupChange[]>;
}

const at = (tree: FixupTree, rel: string): string => posix.join(tree.root, rel);
const read = readPlanned;

/** The guest's own getty lines on virtual consoles. */
const TTY_GETTY = /^[^#:]*:[^:]*:(respawn|once):.*getty.*\btty\d/;
/** What vzctl 4's set_console.sh appends at every start for `vzctl console` (it also makes /dev/tty2). */
const VZCTL_CONSOLE_GETTY =
  /^[12]:2345:respawn:\/sbin\/(mingetty (console|tty2)|getty 38400 (console|tty2)|agetty (console|tty2) 38400)$/;
const GETTY = { test: (line: string): boolean => TTY_GETTY.test(line) && !VZCTL_CONSOLE_GETTY.test(line) };

/** Device nodes a container needs (major, minor, mode as in Linux's devices.txt / makedev). */
export const DEVICE_NODES: Array<{ name: string; major: number; minor: number; mode: number }> = [
  { name: "null", major: 1, minor: 3, mode: 0o666 },
  { name: "zero", major: 1, minor: 5, mode: 0o666 },
  { name: "full", major: 1, minor: 7, mode: 0o666 },
  { name: "random", major: 1, minor: 8, mode: 0o666 },
  { name: "urandom", major: 1, minor: 9, mode: 0o666 },
  { name: "tty", major: 5, minor: 0, mode: 0o666 },
  { name: "console", major: 5, minor: 1, mode: 0o600 },
  { name: "ptmx", major: 5, minor: 2, mode: 0o666 },
];

/** Prints the names of the nodes above that are not character devices under ROOT/dev. */
export function missingDevicesCommand(root: string): string {
  const names = DEVICE_NODES.map((d) => d.name);
  return sh`cd ${posix.join(root, "dev")} && for n in ${names}; do test -c "$n" || echo "$n"; done`;
}

/** Prints the sysv start links (etc/rcN.d/S*) relative to ROOT, one per line. */
export function startLinksCommand(root: string): string {
  return sh`cd ${root} && ls -1d etc/rc[0-6S].d/S* etc/rc.d/rc[0-6].d/S* 2>/dev/null; true`;
}

export const FIXUPS: Fixup[] = [
  {
    id: "inittab-gettys",
    title: "Comment out the tty gettys in /etc/inittab",
    why: "a container has no /dev/ttyN: init would respawn these gettys forever and fill the log; `vzctl enter` is the console, and vzctl 4 adds its own gettys on console and tty2 for `vzctl console` (left alone)",
    async plan(tree) {
      const text = await read(tree, "etc/inittab");
      if (text === null || !text.split("\n").some((l) => GETTY.test(l))) return [];
      const content = text
        .split("\n")
        .map((l) => (GETTY.test(l) ? `#${l}` : l))
        .join("\n");
      return [{ kind: "rewrite", path: "etc/inittab", content, detail: "getty lines on tty1-6 commented out" }];
    },
  },
  {
    id: "upstart-gettys",
    title: "Keep upstart from starting tty gettys",
    why: "Ubuntu's upstart starts a getty per /etc/init/ttyN.conf; a container has no ttyN, so each one fails and respawns. An .override with `manual` stops that without touching the packaged file (tty2 is left: vzctl 4 rewrites tty2.conf for `vzctl console`)",
    async plan(tree) {
      const changes: FixupChange[] = [];
      for (const n of [1, 3, 4, 5, 6]) {
        if ((await tree.host.stat(at(tree, `etc/init/tty${n}.conf`))) === null) continue;
        const override = await read(tree, `etc/init/tty${n}.override`);
        if (override !== null && /^\s*manual\s*$/m.test(override)) continue;
        changes.push({
          kind: "rewrite",
          path: `etc/init/tty${n}.override`,
          content: `${override ?? ""}manual\n`,
          detail: "manual",
        });
      }
      return changes;
    },
  },
  {
    id: "mtab",
    title: "Point /etc/mtab at /proc/mounts",
    why: 'util-vserver gives the guest a fake mtab ("/dev/hdv1 / ufs ..."); nothing maintains it in OpenVZ, so df and mount would show a stale table',
    async plan(tree) {
      const stat = await tree.host.stat(at(tree, "etc/mtab"));
      if (stat?.type === "symlink" && stat.linkTarget === "/proc/mounts") return [];
      return [{ kind: "symlink", path: "etc/mtab", target: "/proc/mounts", detail: "/etc/mtab -> /proc/mounts" }];
    },
  },
  {
    id: "fstab",
    title: "Comment out block devices and swap in /etc/fstab",
    why: "a container has no block devices: boot scripts that fsck or mount them fail; vzctl mounts the root and /proc itself",
    async plan(tree) {
      const text = await read(tree, "etc/fstab");
      if (text === null) return [];
      const device = (l: string): boolean => {
        const [spec, , type] = l.trim().split(/\s+/);
        if (!spec || spec.startsWith("#")) return false;
        return type === "swap" || /^(\/dev\/|UUID=|LABEL=|PARTUUID=)/.test(spec);
      };
      if (!text.split("\n").some(device)) return [];
      const content = text
        .split("\n")
        .map((l) => (device(l) ? `#${l}` : l))
        .join("\n");
      return [{ kind: "rewrite", path: "etc/fstab", content, detail: "device and swap lines commented out" }];
    },
  },
  {
    id: "device-nodes",
    title: "Create the device nodes a container needs",
    why: "a VServer guest has a minimal static /dev; a simfs container boots with the private area's /dev as it is, and ptys, sshd and shells need these nodes",
    async plan(tree) {
      const result = await tree.host.exec(missingDevicesCommand(tree.root));
      if (result.code !== 0) throw new Error(`cannot check ${at(tree, "dev")} (${failureText(result)})`);
      const missing = new Set(
        result.stdout
          .split("\n")
          .map((l) => l.trim())
          .filter(Boolean),
      );
      return DEVICE_NODES.filter((d) => missing.has(d.name)).map((d) => ({
        kind: "mknod" as const,
        path: `dev/${d.name}`,
        major: d.major,
        minor: d.minor,
        mode: d.mode,
        detail: `c ${d.major} ${d.minor}`,
      }));
    },
  },
  {
    id: "pointless-services",
    title: "Disable services that make no sense in a container",
    why: "they touch hardware, the kernel or the clock, which only the node may do; at boot they fail or hang",
    async plan(tree) {
      const changes: FixupChange[] = [];
      const links = await tree.host.exec(startLinksCommand(tree.root));
      for (const link of links.stdout
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean)) {
        const service = /\/S\d\d(.+)$/.exec(link)?.[1];
        const entry = POINTLESS_SERVICES.find((s) => s.names.includes(service ?? ""));
        if (entry) changes.push({ kind: "remove", path: link, detail: `sysv start link of ${service}: ${entry.why}` });
      }
      for (const entry of POINTLESS_SERVICES) {
        for (const name of entry.names) {
          const unit = `${name}.service`;
          const shipped =
            (await tree.host.stat(at(tree, `lib/systemd/system/${unit}`))) ??
            (await tree.host.stat(at(tree, `usr/lib/systemd/system/${unit}`)));
          if (!shipped) continue;
          const mask = await tree.host.stat(at(tree, `etc/systemd/system/${unit}`));
          if (mask?.type === "symlink" && mask.linkTarget === "/dev/null") continue;
          changes.push({
            kind: "symlink",
            path: `etc/systemd/system/${unit}`,
            target: "/dev/null",
            detail: `systemd unit masked: ${entry.why}`,
          });
        }
      }
      return changes;
    },
  },
  {
    id: "venet-network",
    title: "Leave the network to vzctl's venet scripts",
    why: "the container gets its addresses on venet0 from IP_ADDRESS; vzctl's distribution scripts write venet0 config at every start, and the guest's own ethN config would fail (no such device)",
    async plan(tree) {
      if (tree.release.family === "debian") {
        const text = await read(tree, "etc/network/interfaces");
        if (text === null) return [];
        const foreign = text.split("\n").some((l) => /^\s*(auto|allow-hotplug|iface)\s+(?!lo\b|venet\d)\S+/.test(l));
        if (!foreign) return [];
        const content =
          "# Loopback only: vzctl adds venet0 at container start (see interfaces.head/.tail for lasting additions).\nauto lo\niface lo inet loopback\n";
        return [
          {
            kind: "rewrite",
            path: "etc/network/interfaces",
            content,
            detail: "non-loopback stanzas removed (the original is in the backup)",
          },
        ];
      }
      if (tree.release.family === "rhel") {
        const dir = "etc/sysconfig/network-scripts";
        const changes: FixupChange[] = [];
        for (const file of await listEntries(tree.host, at(tree, dir), "f")) {
          if (!/^ifcfg-(?!lo$|venet)/.test(file)) continue;
          const text = (await read(tree, `${dir}/${file}`)) ?? "";
          if (!/^\s*ONBOOT=["']?yes/im.test(text)) continue;
          changes.push({
            kind: "rewrite",
            path: `${dir}/${file}`,
            content: text.replace(/^(\s*)ONBOOT=["']?yes["']?/im, "$1ONBOOT=no"),
            detail: "ONBOOT=no",
          });
        }
        // The LAN gateway is unreachable over venet; vzctl routes by device (GATEWAYDEV=venet0, or its fake
        // gateway in old versions), and a leftover GATEWAY line makes the default route fail at boot.
        const network = await read(tree, "etc/sysconfig/network");
        // vzctl's own fake gateway (191.255.255.1, written by old redhat-add_ip.sh) is left alone.
        const lanGateway = /^(\s*GATEWAY=(?!["']?191\.255\.255\.1\b).*)$/m;
        if (network !== null && lanGateway.test(network)) {
          changes.push({
            kind: "rewrite",
            path: "etc/sysconfig/network",
            content: network.replace(lanGateway, "#$1"),
            detail: "GATEWAY line commented out",
          });
        }
        return changes;
      }
      return [];
    },
  },
  {
    id: "hosts-localhost",
    title: "Make sure /etc/hosts names localhost",
    why: "vzctl's postcreate.sh seeds this for new containers, but it never runs for a migrated one; without it local services that resolve localhost fail",
    async plan(tree) {
      const text = await read(tree, "etc/hosts");
      if (text !== null && /^\s*127\.0\.0\.1\s.*\blocalhost\b/m.test(text)) return [];
      const content = `${text ?? ""}${text && !text.endsWith("\n") ? "\n" : ""}127.0.0.1 localhost.localdomain localhost\n`;
      return [{ kind: "rewrite", path: "etc/hosts", content, detail: "127.0.0.1 localhost added" }];
    },
  },
  nisDomainFixup,
];

export interface PlannedFixup {
  id: string;
  title: string;
  why: string;
  changes: FixupChange[];
}

export async function planFixups(tree: FixupTree): Promise<PlannedFixup[]> {
  const out: PlannedFixup[] = [];
  const pending = new Map<string, string>();
  for (const fixup of FIXUPS) {
    const changes = await fixup.plan({ ...tree, pending });
    for (const c of changes) if (c.kind === "rewrite") pending.set(c.path, c.content);
    out.push({ id: fixup.id, title: fixup.title, why: fixup.why, changes });
  }
  return out;
}

/** The commands one change runs (shown in dry-run reports), after backing up what it replaces. */
export function changeCommands(root: string, backupDir: string, change: FixupChange): string[] {
  const full = posix.join(root, change.path);
  const backup = posix.join(backupDir, change.path);
  // The first backup is the guest's own file: a second fix-up of the same file must not replace it.
  const save = sh`if { test -e ${full} || test -L ${full}; } && ! test -e ${backup} && ! test -L ${backup}; then mkdir -p ${posix.dirname(backup)} && cp -a ${full} ${backup}; fi`;
  switch (change.kind) {
    case "rewrite":
      return [save, `(write ${full})`];
    case "symlink":
      return [save, cmd("ln", "-sfn", change.target, full)];
    case "mknod":
      return [cmd("mknod", "-m", change.mode.toString(8), full, "c", change.major, change.minor)];
    case "remove":
      return [save, cmd("rm", "-f", full)];
  }
}

export async function applyChange(host: Host, root: string, backupDir: string, change: FixupChange): Promise<void> {
  const full = posix.join(root, change.path);
  const commands = changeCommands(root, backupDir, change);
  for (const command of commands) {
    if (command.startsWith("(write ")) {
      const mode = (await host.stat(full))?.mode ?? 0o644;
      if (change.kind === "rewrite") await host.writeFile(full, change.content, { mode });
      continue;
    }
    const result = await host.exec(command);
    if (result.code !== 0) throw new Error(`fix-up of ${change.path} failed: \`${command}\` ${exitedWith(result)}`);
  }
}
