import { readFact } from "../engine/facts.js";
import { formatBytes } from "../render/format.js";
import { SPARSIFY_FACTS } from "../steps/image/facts.js";

/**
 * "before → after (N % smaller)" and where the result is, from the journal's facts. Its own module,
 * loaded only after a sparsify run: the facts' zod schemas must not load with `--help`.
 */
export function sparsifySummary(disk: string, out: string, facts: Record<string, unknown>): string {
  const before = readFact(facts, SPARSIFY_FACTS.allocatedBefore);
  const after = readFact(facts, SPARSIFY_FACTS.allocatedAfter);
  const where = readFact(facts, SPARSIFY_FACTS.replaced)
    ? `${disk} is now the sparsified image`
    : `the sparsified copy is ${out}; ${disk} is unchanged (--replace swaps them after verification)`;
  const backing = readFact(facts, SPARSIFY_FACTS.standaloneOf);
  // An overlay's copy holds its backing chain's data too: "smaller" would compare different things.
  const standalone = backing ? `; the copy is standalone (no backing file): it also holds what ${backing} gave it` : "";
  if (typeof before !== "number" || typeof after !== "number") return where + standalone;
  const saved = before > 0 ? Math.round((1 - after / before) * 100) : 0;
  const change = backing ? "" : saved >= 0 ? ` (${saved} % smaller)` : ` (${-saved} % larger)`;
  return `${formatBytes(before)} → ${formatBytes(after)} on disk${change}; ${where}${standalone}`;
}
