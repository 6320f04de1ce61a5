import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Stand-ins for virt-sparsify, guestfish and qemu-system-x86_64, put first in PATH: they run behind the
 * real command lines mudanza builds (env prefix included) and leave temporary files where the real tools
 * do: libguestfs's folder in LIBGUESTFS_TMPDIR (else TMPDIR, else /tmp), virt-sparsify's overlay in --tmp.
 * Each writes the environment it saw to $FAKE_LOG. FAKE_MODE `TOOL:hang` makes that tool write its pid to
 * $FAKE_LOG.ready, then sleep (as one stuck in its appliance, files left behind when it is killed);
 * `TOOL:fail` makes it fail. Otherwise virt-sparsify copies with qemu-img convert and guestfish lists one
 * ext4 filesystem, each removing its files as the real ones do when they end.
 */
const LIBGUESTFS_DIR = `lg="\${LIBGUESTFS_TMPDIR:-\${TMPDIR:-/tmp}}/libguestfsFAKE$$"; mkdir "$lg" && : > "$lg/overlay1.qcow2"`;
const LOG_ENV = `echo "TMPDIR=$TMPDIR LIBGUESTFS_TMPDIR=$LIBGUESTFS_TMPDIR LIBGUESTFS_CACHEDIR=$LIBGUESTFS_CACHEDIR tmp=$tmp" >> "$FAKE_LOG"`;
const HANG_OR_FAIL = `me=$(basename "$0")
case "$FAKE_MODE" in "$me:hang") echo $$ > "$FAKE_LOG.ready"; exec sleep 600;; "$me:fail") echo "$me: error: fake failure" >&2; exit 1;; esac`;

const VIRT_SPARSIFY = `#!/bin/sh
tmp=""
while [ $# -gt 0 ]; do case "$1" in --tmp) tmp=$2; shift 2;; --) shift; break;; *) shift;; esac; done
${LIBGUESTFS_DIR}
: > "$tmp/sparsifyFAKE.qcow2"
${LOG_ENV}
${HANG_OR_FAIL}
qemu-img convert -O qcow2 "$1" "$2" && rm -rf "$lg" "$tmp/sparsifyFAKE.qcow2"
`;

const GUESTFISH = `#!/bin/sh
${LIBGUESTFS_DIR}
${LOG_ENV}
${HANG_OR_FAIL}
rm -rf "$lg"
case "$*" in *list-filesystems*) echo "/dev/sda: ext4";; *) echo "@@fs /dev/sda"; echo etc; echo lost+found;; esac
`;

// As QEMU answers without /dev/kvm: the probe's KVM smoke boot fails at once and libguestfs gets TCG.
const QEMU = `#!/bin/sh
echo "Could not access KVM kernel module: No such file or directory" >&2
exit 1
`;

/** Writes the stand-ins into `dir`/bin; returns the PATH that finds them first. */
export async function installFakeGuestfsTools(dir: string): Promise<string> {
  const bin = join(dir, "bin");
  await mkdir(bin, { recursive: true });
  for (const [name, text] of [
    ["virt-sparsify", VIRT_SPARSIFY],
    ["guestfish", GUESTFISH],
    ["qemu-system-x86_64", QEMU],
  ] as const) {
    await writeFile(join(bin, name), text);
    await chmod(join(bin, name), 0o755);
  }
  return `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`;
}
