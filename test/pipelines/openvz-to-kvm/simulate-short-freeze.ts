import type { ScriptedFile, ScriptedHost } from "../../../src/hosts/scripted-host.js";
import {
  CHANGED_LIST,
  ctimeQuestionCommand,
  FREEZE_MARK,
  LIVE_PASS_MARK,
  markCommand,
  REPAIR_LIST,
} from "../../../src/steps/rsync/changed-since.js";
import { SSH_MASTER_SOCKET } from "../../../src/steps/rsync/ssh-master.js";

/**
 * The short final pass on two scripted hosts: the freeze mark (the copy rule sets the live passes' marks), the list of changed paths (every
 * source file the target lacks or holds differently, minus what the test hides to play a missed ctime), the
 * copy of listed paths or whole directories, and the proof's comparison with its ctime question (a path
 * answers "new" when the source changed it after the freeze mark, as the source's running database does
 * after the thaw; "old" otherwise: a difference the short pass left is stale) and the repair's list.
 */
export interface ShortFreezeWorld {
  /** Paths the list of changed paths leaves out, as if their ctime had not moved (a clock set back). */
  hiddenFromList: Set<string>;
  /** How many times the list was made. */
  listsMade: number;
  /** Whether the frozen pass's shared ssh connection is open (ssh-master.ts); opening it fails when false. */
  sharedConnection: { open: boolean; canOpen: boolean };
  /** The source's files when the freeze was marked: what differs from it now has a newer ctime than the mark. */
  atFreezeMark: Map<string, ScriptedFile>;
}

const same = (a: ScriptedFile | undefined, b: ScriptedFile | undefined): boolean =>
  !!a && !!b && a.type === b.type && a.content === b.content && a.mode === b.mode && a.linkTarget === b.linkTarget;

export function simulateShortFreeze(source: ScriptedHost, target: ScriptedHost): ShortFreezeWorld {
  const world: ShortFreezeWorld = {
    hiddenFromList: new Set(),
    listsMade: 0,
    sharedConnection: { open: false, canOpen: true },
    atFreezeMark: new Map(),
  };
  source.on(/^ssh .* -o ControlMaster=yes .* -f -N /, () => {
    world.sharedConnection.open = world.sharedConnection.canOpen;
    return world.sharedConnection.open ? {} : { code: 255 };
  });
  source.on(new RegExp(`^if test -S ${SSH_MASTER_SOCKET}; then ssh .* -O exit `), () => {
    world.sharedConnection.open = false;
    return {};
  });
  source.on(
    markCommand(FREEZE_MARK),
    (_c, h) => {
      h.putFile(FREEZE_MARK, "");
      world.atFreezeMark = new Map([...h.files.entries()].map(([p, f]) => [p, { ...f }]));
      return {};
    },
    { mutates: true },
  );
  source.on(
    new RegExp(`^cd / && find \\. -xdev -ignore_readdir_race .*-cnewer ${LIVE_PASS_MARK} `),
    (_c, h) => {
      world.listsMade++;
      const changed = [...h.files.entries()]
        .filter(([p, f]) => f.type !== "dir" && !world.hiddenFromList.has(p) && !same(f, target.files.get(p)))
        .map(([p]) => `.${p}\0`);
      h.putFile(CHANGED_LIST, changed.join(""));
      return { stdout: `${changed.length}\n` };
    },
    { mutates: true },
  );
  source.on(ctimeQuestionCommand(FREEZE_MARK), (_c, h, options) => {
    if (!h.files.has(FREEZE_MARK)) return { code: 1 };
    const asked = (options?.stdin ?? "").split("\0").filter(Boolean);
    const exists = (p: string): boolean => p === "." || h.files.has(p.slice(1));
    return {
      stdout: asked
        .filter(exists)
        .map((p) => `${same(h.files.get(p.slice(1)), world.atFreezeMark.get(p.slice(1))) ? "old" : "new"} ${p}\0`)
        .join(""),
    };
  });
  source.on(`cat > ${REPAIR_LIST}`, (_c, h, options) => (h.putFile(REPAIR_LIST, options?.stdin ?? ""), {}), {
    mutates: true,
  });
  return world;
}

/**
 * Which source paths a pass copies: those listed in --files-from, those under --relative directories, or
 * (null) the whole tree. A list read from stdin is the waiting copy's (waitingCopyCommand): CHANGED_LIST
 * when its stdin's first line is `go`, else nothing.
 */
export function passScope(
  words: string[],
  source: ScriptedHost,
  stdin: string | undefined,
): ((path: string) => boolean) | null {
  const listFile = words.find((w) => w.startsWith("--files-from="))?.slice("--files-from=".length);
  if (listFile) {
    const list =
      listFile === "-"
        ? (stdin ?? "").split("\n")[0] === "go"
          ? source.files.get(CHANGED_LIST)?.content
          : ""
        : source.files.get(listFile)?.content;
    const listed = new Set(
      (list ?? "")
        .split("\0")
        .filter(Boolean)
        .map((p) => p.replace(/^\./, "")),
    );
    return (path) => listed.has(path);
  }
  if (words.includes("--relative")) {
    const dirs = words.filter((w) => w.startsWith("/./")).map((w) => w.slice(2).replace(/\/$/, ""));
    return (path) => dirs.some((d) => path === d || path.startsWith(`${d}/`));
  }
  return null;
}

/** The proof's `--out-format=%i %n` lines: what a whole pass would change, relative to /. */
export function differenceLines(
  source: ScriptedHost,
  target: ScriptedHost,
  isExcluded: (path: string) => boolean,
): string {
  const lines: string[] = [];
  for (const [p, f] of source.files)
    if (f.type !== "dir" && !isExcluded(p) && !same(f, target.files.get(p)))
      lines.push(`${target.files.has(p) ? ">f.st......" : ">f+++++++++"} ${p.slice(1)}\n`);
  for (const p of target.files.keys())
    if (!isExcluded(p) && !source.files.has(p)) lines.push(`*deleting   ${p.slice(1)}\n`);
  return lines.join("");
}
