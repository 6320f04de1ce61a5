import { execFileSync } from "node:child_process";
import { chmod, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { delegatingHost } from "../../src/hosts/delegating-host.js";
import type { Host } from "../../src/hosts/host.js";
import { LocalHost } from "../../src/hosts/local-host.js";
import { validateSparsifyOptions } from "../../src/plan/options/image-sparsify.js";
import { protectBaseStep } from "../../src/steps/image/protect-base.js";
import { replaceOriginalStep } from "../../src/steps/image/replace-original.js";
import { runLocal } from "./run-local.js";
import { cloneOptions } from "./clone-options.js";

let dir: string;
let disk: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-inspected-mode-"));
  disk = join(dir, "base.qcow2");
  execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", disk, "8M"]);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** This machine, counting the lstat calls on one path. */
function countingStats(path: string): { host: Host; stats: () => number } {
  const local = new LocalHost("local");
  let count = 0;
  const host = delegatingHost(local, {
    stat: (p) => {
      if (p === path) count++;
      return local.stat(p);
    },
  });
  return { host, stats: () => count };
}

describe("the disk's mode comes with its inspection: one lstat per probe (real qemu-img)", () => {
  it("protect-base reads whether the base is writable from the inspected disk", async () => {
    await chmod(disk, 0o640);
    const { host, stats } = countingStats(disk);
    const plan = cloneOptions(disk);
    const pipeline = { kind: "image-clone", title: "protect the base", steps: [protectBaseStep] };
    const { outcome } = await runLocal(pipeline, plan, "dry-run", { host });
    expect(outcome.probes["protect-base"]?.commands.map((c) => c.command)).toEqual([`chmod a-w ${disk}`]);
    expect(stats()).toBe(1);
    await chmod(disk, 0o444);
    const again = await runLocal(pipeline, plan, "dry-run", { host });
    expect(again.outcome.probes["protect-base"]?.reason).toBe("the base is already read-only");
    expect(stats()).toBe(2);
  });

  it("replace-original blocks a disk without a write bit from the inspected disk's mode", async () => {
    await chmod(disk, 0o444);
    const { host, stats } = countingStats(disk);
    const plan = validateSparsifyOptions({ disk, replace: true, uri: "qemu:///system" }, {});
    const pipeline = { kind: "image-sparsify", title: "replace", steps: [replaceOriginalStep()] };
    const { outcome } = await runLocal(pipeline, plan, "dry-run", { host });
    const readOnly = outcome.findings.find((f) => f.title === "The disk is read-only: the base of overlays");
    expect(readOnly?.summary).toMatch(new RegExp(`^${disk} has no write bit \\(mode 444\\)`));
    expect(stats()).toBe(1);
  });

  it("replace-original blocks a disk that is a link: mv would replace the link and leave its read-only file (review)", async () => {
    await chmod(disk, 0o444);
    const link = join(dir, "vm.qcow2");
    await symlink(disk, link);
    const plan = validateSparsifyOptions({ disk: link, replace: true, uri: "qemu:///system" }, {});
    const pipeline = { kind: "image-sparsify", title: "replace", steps: [replaceOriginalStep()] };
    const { outcome } = await runLocal(pipeline, plan, "dry-run");
    const linked = outcome.findings.find((f) => f.title === "The disk is a symbolic link");
    expect(linked).toMatchObject({ blocks: true, remediation: expect.stringContaining(`readlink -f ${link}`) });
  });
});
