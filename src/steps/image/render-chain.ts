import { formatBytes } from "../../render/format.js";
import type { ChainEntry } from "./image-info-document.js";
import { nameForTerminal } from "../../errors.js";

/** The chain top first, one line each, indented as it descends: what `image info` prints. */
export function renderChain(chain: ChainEntry[]): string {
  const lines = chain.map((c, i) => {
    const pad = "  ".repeat(i);
    // File names as the disk holds them: a newline or ESC in one is escaped, not printed raw (new-user trial)
    const backing = c.backingFilename ? `, backing file "${nameForTerminal(c.backingFilename)}"` : "";
    return `${pad}${i === 0 ? "" : "└─ "}${nameForTerminal(c.filename)} (${c.format}, virtual ${formatBytes(c.virtualSize)}, on disk ${c.allocated === null ? "?" : formatBytes(c.allocated)}${backing})`;
  });
  const total = chain.reduce((sum, c) => sum + (c.allocated ?? 0), 0);
  lines.push(`total on disk: ${formatBytes(total)} in ${chain.length} file(s)`);
  return lines.join("\n");
}
