import type { Host } from "../hosts/host.js";
import { cmd } from "../hosts/quote.js";
import { failureText } from "../hosts/failure-text.js";

/** Names of the entries of one type directly in `dir` (empty when `dir` is absent). */
export async function listEntries(host: Host, dir: string, type: "d" | "f"): Promise<string[]> {
  const stat = await host.stat(dir);
  if (stat?.type !== "dir") return [];
  const result = await host.exec(listEntriesCommand(dir, type));
  if (result.code !== 0) throw new Error(`cannot list ${dir} on ${host.address} (${failureText(result)})`);
  return result.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
}

export function listEntriesCommand(dir: string, type: "d" | "f"): string {
  return cmd("find", dir, "-mindepth", "1", "-maxdepth", "1", "-type", type, "-printf", "%f\\n");
}
