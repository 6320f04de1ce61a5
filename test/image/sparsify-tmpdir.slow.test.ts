import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { validateSparsifyOptions } from "../../src/plan/options/image-sparsify.js";
import { buildImageSparsify } from "../../src/pipelines/image-sparsify/pipeline.js";
import { makeDeletedDataImage } from "./make-ext4-image.js";
import { runLocal } from "./run-local.js";

// Real virt-sparsify, interrupted as Ctrl-C does once its overlay exists (found by a new-user trial:
// the overlay and libguestfs's folders stayed behind). About 40 s here (TCG, appliance cached).
const hasVirtSparsify = (() => {
  try {
    execFileSync("sh", ["-c", "command -v virt-sparsify"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!hasVirtSparsify)("image sparsify with real virt-sparsify, interrupted", () => {
  it("keeps virt-sparsify's overlay and libguestfs's files in the run's own folder, and leaves none of it", async () => {
    dir = await mkdtemp(join(tmpdir(), "mudanza-sparsify-interrupt-"));
    const tmp = join(dir, "tmp");
    await mkdir(tmp);
    const { image } = await makeDeletedDataImage(dir, 4);
    const controller = new AbortController();
    let seen: string[] = [];
    let ended = false;
    const interrupt = (async () => {
      while (!ended && !seen.some((p) => /\/sparsify\w+\.qcow2$/.test(p))) {
        seen = await readdir(tmp, { recursive: true });
        await sleep(100);
      }
      controller.abort();
    })();
    const plan = validateSparsifyOptions({ disk: image, tmpdir: tmp, uri: "qemu:///system" }, {});
    const { outcome } = await runLocal(buildImageSparsify(), plan, "yes", { signal: controller.signal });
    ended = true;
    await interrupt;
    const overlay = seen.find((p) => /sparsify\w+\.qcow2$/.test(p));
    expect(overlay).toMatch(/^mudanza-sparsify-disk\.sparse\.qcow2-[0-9a-f]{12}\/sparsify\w+\.qcow2$/);
    expect(outcome.status).toBe("interrupted");
    expect(await readdir(tmp)).toEqual([]);
  }, 300_000);
});
