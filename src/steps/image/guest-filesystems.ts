import type { Host } from "../../hosts/host.js";
import { failureText } from "../../hosts/failure-text.js";
import { cmd, raw, sh } from "../../hosts/quote.js";

/**
 * libguestfs environment: the direct backend (no libvirtd needed), TCG when KVM cannot run a guest, and its
 * temporary files in `tmpdir` (a folder mudanza removes, see own-tmpdir.ts). libguestfs would also move its
 * appliance cache there (it falls back to LIBGUESTFS_TMPDIR, then TMPDIR), so the cache is pinned where it was:
 * it is meant to persist, and rebuilding it costs a minute.
 */
export function guestfsEnv(accel: "kvm" | "tcg", tmpdir: string): string {
  const tcg = raw(accel === "tcg" ? " LIBGUESTFS_BACKEND_SETTINGS=force_tcg" : "");
  const cache = raw('LIBGUESTFS_CACHEDIR="${LIBGUESTFS_CACHEDIR:-${LIBGUESTFS_TMPDIR:-${TMPDIR:-/var/tmp}}}"');
  const sockets = raw(socketDirFits(tmpdir) ? sh` XDG_RUNTIME_DIR=${tmpdir}` : "");
  return sh`env LIBGUESTFS_BACKEND=direct${tcg} ${cache} TMPDIR=${tmpdir} LIBGUESTFS_TMPDIR=${tmpdir}${sockets}`;
}

/**
 * libguestfs makes its socket folder (libguestfsXXXXXX, with guestfsd.sock) in $XDG_RUNTIME_DIR, else in
 * /tmp, whatever TMPDIR says (lib/tmpdirs.c, guestfs_impl_get_sockdir): a killed run left it in /tmp
 * (new-user trial 8). Root's goes in /tmp all the same: libguestfs ignores XDG_RUNTIME_DIR for euid 0.
 * A socket path must fit sun_path (108 bytes with its NUL), and libguestfs fails rather than fall back
 * ("socket path too long"), so a folder too long for DIR/libguestfsXXXXXX/guestfsd.sock is not given.
 */
const socketDirFits = (dir: string): boolean =>
  Buffer.byteLength(dir) + "/libguestfsXXXXXX/guestfsd.sock".length <= 107;

/**
 * guestfish writes its readline history to ~/.guestfish even when it only runs the commands it was given (an
 * empty /root/.guestfish after every sparsify): mudanza's guestfish is never interactive, so its HOME is the
 * run's own temporary folder, removed afterwards. It passes --ro itself, so ~/.libguestfs-tools.rc is not needed.
 */
const guestfishEnv = (accel: "kvm" | "tcg", tmpdir: string): string =>
  `${guestfsEnv(accel, tmpdir)} ${sh`HOME=${tmpdir}`}`;

export interface GuestFilesystem {
  device: string;
  type: string;
  /** Entries of its root directory, when it mounted. */
  entries?: string[];
  error?: string;
}

const MOUNTABLE = new Set(["ext2", "ext3", "ext4", "xfs", "btrfs", "vfat", "ntfs", "jfs", "reiserfs", "f2fs"]);

/** Mounts every filesystem of the image read-only (guestfish --ro) and lists its root: proof the data is readable. */
export async function listGuestFilesystems(
  host: Host,
  image: string,
  accel: "kvm" | "tcg",
  tmpdir: string,
  signal?: AbortSignal,
): Promise<GuestFilesystem[]> {
  const env = guestfishEnv(accel, tmpdir);
  const list = await host.exec(`${env} ${cmd("guestfish", "--ro", "-a", image, "run", ":", "list-filesystems")}`, {
    signal,
    timeoutMs: 600_000,
  });
  if (list.code !== 0) throw new Error(`guestfish could not open ${image} (${failureText(list)})`);
  const filesystems: GuestFilesystem[] = list.stdout
    .split("\n")
    .map((l) => /^(\S+):\s*(\S+)$/.exec(l.trim()))
    .flatMap((m) => (m ? [{ device: m[1]!, type: m[2]! }] : []));
  const mountable = filesystems.filter((f) => MOUNTABLE.has(f.type));
  if (mountable.length === 0) return filesystems;
  // One appliance launch for all of them: mount, list, unmount, next; a marker line separates the listings.
  const words: string[] = ["guestfish", "--ro", "-a", image, "run"];
  for (const f of mountable)
    words.push(":", "echo", `@@fs ${f.device}`, ":", "mount-ro", f.device, "/", ":", "ls", "/", ":", "umount", "/");
  const res = await host.exec(`${env} ${cmd(...words)}`, { signal, timeoutMs: 600_000 });
  const byDevice = new Map<string, string[]>();
  let current: string | null = null;
  for (const line of res.stdout.split("\n")) {
    const marker = /^@@fs (\S+)$/.exec(line);
    if (marker) byDevice.set((current = marker[1]!), []);
    else if (current && line !== "") byDevice.get(current)!.push(line);
  }
  for (const f of mountable) {
    const entries = byDevice.get(f.device);
    if (entries && (res.code === 0 || entries.length > 0)) f.entries = entries;
    else f.error = `guestfish failed (${failureText(res)})`;
  }
  return filesystems;
}
