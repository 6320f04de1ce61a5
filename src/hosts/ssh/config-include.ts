import { readdir, readFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join } from "node:path";
import { globMatches } from "./known-hosts.js";

/** Deepest Include nesting followed (OpenSSH stops at 16 too). */
const MAX_DEPTH = 16;

/**
 * Inlines `Include` directives (ssh_config(5)): relative paths are taken from `baseDir` (~/.ssh for the
 * user's config, /etc/ssh for the system one), `*` and `?` may appear in the file name, matches are read
 * in lexical order, a missing file is skipped. The ssh-config package parses Include but does not read it.
 *
 * An Include inside a Host block applies only when that block matches; after the inlined text the block's
 * own `Host` line is written again, so the rest of the block stays attached to it. A top-level Include is
 * followed by `Host *`, which is what top-level lines mean.
 */
export async function inlineIncludes(text: string, baseDir: string, depth = 0): Promise<string> {
  if (depth > MAX_DEPTH) return text;
  const out: string[] = [];
  let currentSection = "Host *";
  for (const line of text.split("\n")) {
    const section = /^\s*(Host|Match)\s+\S/i.exec(line);
    if (section) currentSection = line.trim();
    const include = /^\s*Include\s+(.+?)\s*$/i.exec(line);
    if (!include) {
      out.push(line);
      continue;
    }
    for (const pattern of splitWords(include[1]!)) {
      for (const file of await expandIncludePattern(pattern, baseDir)) {
        const included = await readFile(file, "utf8").catch(() => null);
        if (included !== null) out.push(await inlineIncludes(included, baseDir, depth + 1));
      }
    }
    out.push(currentSection);
  }
  return out.join("\n");
}

function splitWords(value: string): string[] {
  return [...value.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!).filter(Boolean);
}

async function expandIncludePattern(pattern: string, baseDir: string): Promise<string[]> {
  const home = process.env.HOME ?? "";
  const expanded = pattern.startsWith("~/") ? join(home, pattern.slice(2)) : pattern;
  const path = isAbsolute(expanded) ? expanded : join(baseDir, expanded);
  const name = basename(path);
  if (!/[*?]/.test(name)) return [path];
  const dir = dirname(path);
  const entries = await readdir(dir).catch(() => [] as string[]);
  return entries
    .filter((entry) => !entry.startsWith(".") && globMatches(name, entry))
    .sort()
    .map((entry) => join(dir, entry));
}
