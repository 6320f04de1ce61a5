import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { BadInputError } from "../errors.js";

/** Where journals, logs and reports live: --state-dir, else $XDG_STATE_HOME/mudanza, else ~/.local/state/mudanza. */
export function resolveStateDir(flag: string | undefined, env = process.env): string {
  // `--state-dir ""` (an unset variable in a script) silently meant the default one (found by a new-user trial)
  if (flag !== undefined && flag.trim() === "")
    throw new BadInputError("--state-dir is empty: name a folder, or leave the option out for the default one");
  if (flag) return resolve(flag);
  // The XDG Base Directory spec: a relative path in these variables is invalid and ignored (it would mean
  // another folder in every directory mudanza is started from).
  const xdg = env.XDG_STATE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".local", "state");
  return join(base, "mudanza");
}

/**
 * The state dir a command only reads (runs, status). A --state-dir that does not exist is a typo, not a
 * history with no runs; the default one is missing until the first run, when "no runs yet" is the truth.
 */
export function stateDirToRead(flag: string | undefined, env = process.env): string {
  const dir = resolveStateDir(flag, env);
  if (flag && !existsSync(dir)) throw new BadInputError(`no such state dir: ${dir}`);
  return dir;
}
