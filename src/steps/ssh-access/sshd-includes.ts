import { readOptional, type Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import { SSHD_CONFIG } from "./sshd-config.js";

/** Lists the files a glob Include names (only the last path part may hold wildcards, as in every stock config). */
export const includeListCommand = (dir: string, pattern: string): string =>
  cmd("find", dir, "-maxdepth", "1", "-name", pattern, "-print");

/**
 * sshd_config with every Include replaced by the files it names, in sshd's order (a glob's matches sorted),
 * so the parser sees what sshd reads; an Include inside a Match block stays inside it. Relative paths are
 * under /etc/ssh. Depth is bounded as sshd bounds it.
 */
export async function readSshdConfigExpanded(
  host: Host,
  signal?: AbortSignal,
  path = SSHD_CONFIG,
  depth = 0,
): Promise<string | null> {
  const text = await readOptional(host, path);
  if (text === null || depth > 16) return text;
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*include\s*(?:=\s*|\s+)(.*)$/i.exec(line.replace(/#.*$/, ""));
    if (!m) {
      out.push(line);
      continue;
    }
    for (const arg of m[1]!.trim().split(/\s+/)) {
      const full = arg.startsWith("/") ? arg : `/etc/ssh/${arg}`;
      for (const file of await expand(host, full, signal))
        out.push((await readSshdConfigExpanded(host, signal, file, depth + 1)) ?? "");
    }
  }
  return out.join("\n");
}

async function expand(host: Host, path: string, signal?: AbortSignal): Promise<string[]> {
  const slash = path.lastIndexOf("/");
  const dir = path.slice(0, slash) || "/";
  const name = path.slice(slash + 1);
  if (!/[*?[]/.test(name)) return [path];
  const result = await host.exec(includeListCommand(dir, name), { signal });
  return result.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("/"))
    .sort();
}
