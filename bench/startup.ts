import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { interleaved, pairedRow, type Command } from "./measure.js";
import type { Benchmark, BenchRow } from "./types.js";

/** The target: `mudanza --help` and `mudanza status` start within 1.5x a bare `node -e 0`. */
const TARGET = 1.5;

/**
 * Start-up of the built CLI as a user runs it (bin/mudanza.js, which runs dist/), against `node -e 0`
 * measured in the same rounds.
 */
export const startup: Benchmark = {
  name: "startup",
  description: "mudanza --help and mudanza status vs node -e 0 (wall time, median)",
  async run({ root, runs, scratch, log }) {
    const bin = join(root, "bin", "mudanza.js");
    if (!existsSync(join(root, "dist", "cli", "main.js")))
      throw new Error("dist/ is not built: run `npm run build` (npm ci does it) first");
    // The CLI as installed runs dist/: make sure nothing in the environment sends it to the sources.
    // NODE_EXTRA_CA_CERTS (set on some build machines) makes every node start parse ~150 certificates, which
    // flatters the ratio (416 of node -e 0's 508 M instructions here); a user's shell rarely sets it.
    const env = { ...process.env, MUDANZA_FROM_SOURCE: undefined, NODE_EXTRA_CA_CERTS: undefined, CI: "1" };
    const plan = join(root, "fixtures", "plans", "ovz-kvm-debian-12.yaml");
    const state = join(scratch, "state");
    // `status` needs a journal: a --yes run on the scripted hosts writes one (whether it ends done or not).
    spawnSync(process.execPath, [bin, "run", plan, "--yes", "--state-dir", state], { env, stdio: "ignore" });
    const baseline: Command = { label: "node -e 0", argv: [process.execPath, "-e", "0"], env };
    const cases: Command[] = [
      { label: "mudanza --help", argv: [process.execPath, bin, "--help"], env },
      { label: "mudanza status PLAN", argv: [process.execPath, bin, "status", plan, "--state-dir", state], env },
    ];
    log(`startup: ${runs} rounds of ${[baseline, ...cases].map((c) => c.label).join(", ")}`);
    const times = await interleaved([baseline, ...cases], runs);
    const base = times.get(baseline.label)!;
    return cases.map((c): BenchRow =>
      pairedRow(
        { benchmark: "startup", case: c.label, unit: "ms", baselineLabel: baseline.label, target: TARGET, runs },
        times.get(c.label)!,
        base,
      ),
    );
  },
};
