import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import type { StepContext } from "../../engine/step.js";
import { cmd, raw, sh, shellQuote } from "../../hosts/quote.js";
import { effectiveTmpdir, type SparsifyOptions } from "../../plan/options/image-sparsify.js";
import { failureText } from "../../hosts/failure-text.js";

/**
 * The folder, inside the chosen temporary folder, that holds everything virt-sparsify and libguestfs put in
 * temporary folders for a run (virt-sparsify's overlay, up to the disk's virtual size; libguestfs's
 * overlay1.qcow2). Named after the output, so a later run of the same command finds what a killed one left;
 * the hash tells apart outputs of the same name in different folders.
 */
export function ownTmpdir(o: SparsifyOptions): string {
  const tag = createHash("sha256").update(o.out).digest("hex").slice(0, 12);
  return join(effectiveTmpdir(o), `mudanza-sparsify-${basename(o.out).slice(0, 60)}-${tag}`);
}

/** Made with the folder and never written again: its mtime says when the run began using the folder. */
const startedMark = (dir: string): string => join(dir, ".started");

/** Empty and private: plain mkdir (no -p) fails rather than use a folder someone made in between. */
export const makeOwnTmpdirCommand = (dir: string): string =>
  `${cmd("rm", "-rf", "--", dir)} && ${cmd("mkdir", "-m", "0700", "--", dir)} && ${cmd("touch", "--", startedMark(dir))}`;

export const removeOwnTmpdirCommand = (dir: string): string => cmd("rm", "-rf", "--", dir);

/**
 * libguestfs puts root's socket folder in /tmp whatever its environment says (guest-filesystems.ts): a killed
 * run leaves /tmp/libguestfsXXXXXX behind. The undo removes those made since the run's folder was (its
 * .started mark), owned by this user and holding no socket a live process still listens on (/proc/net/unix
 * lists every bound path; the kernel drops a dead process's): another libguestfs's folder is left alone.
 */
export function removeLeftoversCommand(dir: string, socketRoot = "/tmp"): string {
  const mark = startedMark(dir);
  const stale = sh`test -d "$d" && ! test -L "$d" && test -O "$d" && test "$d" -nt ${mark} && ! grep -qF "$d/" /proc/net/unix`;
  const sockets = sh`if test -f ${mark}; then for d in ${raw(`${shellQuote(socketRoot)}/libguestfs??????`)}; do if ${raw(stale)}; then rm -rf -- "$d"; fi; done; fi`;
  return `${sockets}; ${removeOwnTmpdirCommand(dir)}`;
}

export const OWN_TMPDIR_COMPENSATION = "sparsify-tmpdir";

export const leftoverNote = (dir: string): string =>
  `removing ${dir}: an earlier run of this command was killed before it could remove its temporary files`;

/**
 * Runs `work` with `dir` made empty and private, and removes it after. Journaled first: when `work` fails or
 * is interrupted the runner's compensation removes it, and after a kill the next run does.
 */
export async function withOwnTmpdir<T>(
  ctx: StepContext<SparsifyOptions>,
  dir: string,
  work: () => Promise<T>,
): Promise<T> {
  const host = ctx.host("local");
  await ctx.compensations.register({
    id: OWN_TMPDIR_COMPENSATION,
    title: `remove ${dir} and the socket folders libguestfs left in /tmp (virt-sparsify's and libguestfs's temporary files of an unfinished run)`,
    host: "local",
    command: removeLeftoversCommand(dir),
  });
  // Read only to say so: the command is the same either way.
  if (await host.stat(dir)) ctx.output("local", leftoverNote(dir));
  const made = await host.exec(makeOwnTmpdirCommand(dir), { signal: ctx.signal });
  if (made.code !== 0)
    throw new Error(
      `could not make the temporary folder ${dir} (${failureText(made)}); make sure you can write its parent, or name another folder with --tmpdir DIR`,
    );
  const result = await work();
  const removed = await host.exec(removeOwnTmpdirCommand(dir), { signal: ctx.signal });
  if (removed.code !== 0)
    throw new Error(`could not remove the temporary folder ${dir} (${failureText(removed)}); remove it by hand`);
  await ctx.compensations.clear(OWN_TMPDIR_COMPENSATION);
  return result;
}
