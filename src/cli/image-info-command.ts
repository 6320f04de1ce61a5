import { resolve } from "node:path";
import { forTerminal } from "../errors.js";
import { exitCodeForRun } from "../exit-codes.js";
import { buildImageInfo } from "../pipelines/image-clone/info-pipeline.js";
import { imageInfoDocument } from "../steps/image/image-info-document.js";
import { renderChain } from "../steps/image/render-chain.js";
import { requireInputFile } from "./input-file.js";
import { runLocalPipeline } from "./run-local-pipeline.js";

export interface ImageInfoOptions {
  format: "text" | "json";
  json?: boolean;
}

/** `mudanza image info DISK`: the backing chain and the space each file really takes. Returns the exit code. */
export async function imageInfoCommand(disk: string, opts: ImageInfoOptions): Promise<number> {
  const plan = { disk: resolve(disk) };
  await requireInputFile(plan.disk, "disk", { blockDevice: true });
  // Read-only: runs as a dry run (no journal written), and prints the chain itself.
  const outcome = await runLocalPipeline(
    "image-info",
    buildImageInfo(),
    plan,
    { dryRun: true, json: opts.json },
    ["image", "info", plan.disk],
    // the chain is all it prints: a blocker and its fix are said on stderr
    { mode: "dry-run", printReport: false, ownOutputListsBlockers: false },
  );
  const info = imageInfoDocument(outcome.probes["inspect-chain"]?.facts?.chain);
  if (info && !opts.json)
    process.stdout.write((opts.format === "json" ? JSON.stringify(info, null, 2) : renderChain(info.chain)) + "\n");
  // Its warnings have no report to go to (a qcow2 whose header was zeroed reads as raw): said on stderr,
  // as its blockers are (found by a new-user trial: only -v counted them, and nothing showed them).
  if (!opts.json)
    for (const w of outcome.findings.filter((f) => !f.blocks && f.severity === "warning"))
      process.stderr.write(
        forTerminal(`mudanza: warning: ${w.title}: ${w.summary}${w.remediation ? ` (fix: ${w.remediation})` : ""}`) +
          "\n",
      );
  return exitCodeForRun(outcome);
}
