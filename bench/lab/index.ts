import { existsSync } from "node:fs";
import { join } from "node:path";
import { ensureLabImages } from "../../src/lab/build.js";
import { Lab } from "../../src/lab/lab.js";
import { labProblems } from "../../src/lab/prerequisites.js";
import type { Benchmark, BenchRow } from "../types.js";
import { measureDryRun } from "./dry-run.js";
import { measureFreeze } from "./freeze.js";
import { measureLabTreeWire } from "./wire-tree.js";

/** The lab's rows, each selectable with `--lab --only NAME[,NAME]`. */
export const LAB_ROWS = ["lab-wire", "lab-dry-run", "lab-freeze"] as const;

/**
 * The rows that need the QEMU lab (`npm run bench -- --lab`), on one lab boot: the dry run of the two-host
 * plan, the freeze window against the recipe and the floor, and bytes on the wire for the lab's tree.
 * Lab.stop() ends the container and the VM and removes the run's folder, also when a row fails.
 */
export const lab: Benchmark = {
  name: "lab",
  description: "on the QEMU lab: dry run of the two-host plan, freeze window vs recipe and floor, lab tree on the wire",
  async run({ root, runs, scratch, log, failed, labRows }) {
    const problems = labProblems();
    if (problems.length > 0) throw new Error(`the lab cannot run here: ${problems.join("; ")}`);
    if (!existsSync(join(root, "dist", "cli", "main.js")))
      throw new Error("dist/ is not built: run `npm run build` (npm ci does it) first");
    const labLog = (line: string) => log(`[lab] ${line}`);
    const rows: BenchRow[] = [];
    // A lab boot is expensive: a row that fails is reported and the others still run.
    const wanted = (name: (typeof LAB_ROWS)[number]) => !labRows || labRows.includes(name);
    const measure = async (name: (typeof LAB_ROWS)[number], rowsOf: () => Promise<BenchRow[]>) => {
      if (!wanted(name)) return;
      try {
        rows.push(...(await rowsOf()));
      } catch (error) {
        log(`${name}: FAILED: ${(error as Error).message}`);
        failed(`${name}: ${(error as Error).message}`);
      }
    };
    // Before the boot: the copy runs on this machine and needs only the built images.
    const images = await ensureLabImages(labLog);
    await measure("lab-wire", () => measureLabTreeWire(images, scratch, log));
    if (!wanted("lab-dry-run") && !wanted("lab-freeze")) return rows;
    const started = Date.now();
    const running = await Lab.start({ log: labLog });
    try {
      await measure("lab-dry-run", () => measureDryRun(running, root, Math.min(runs, 5), log));
      await measure("lab-freeze", () => measureFreeze(running, Math.min(runs, 3), log));
    } finally {
      await running.stop();
      log(`lab: up for ${Math.round((Date.now() - started) / 1000)} s`);
    }
    return rows;
  },
};
