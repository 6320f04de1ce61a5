import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** Where journals, logs and reports live: --state-dir, else $XDG_STATE_HOME/mudanza, else ~/.local/state/mudanza. */
export function resolveStateDir(flag: string | undefined, env = process.env): string {
  if (flag) return resolve(flag);
  const base = env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(base, "mudanza");
}
