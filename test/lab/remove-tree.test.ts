import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { mountsBelow, removeTree } from "../../src/lab/remove-tree.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs();
const isRoot = process.getuid?.() === 0;

// Lines as the kernel writes /proc/self/mountinfo: field 5 is the mount point, a space is \040.
const MOUNTINFO = [
  "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
  "98 22 0:5 / /cache/f8.building-21379/target-root/proc rw,relatime - proc proc rw",
  "99 98 0:44 / /cache/f8.building-21379/target-root/proc/sys/fs/binfmt_misc rw - binfmt_misc binfmt_misc rw",
  "100 22 0:45 / /cache/f8.building-21379/source\\040root/dev rw - tmpfs tmpfs rw",
  "101 22 0:46 / /cache/f8.building-213790/target-root/proc rw - proc proc rw",
].join("\n");

describe("removing a half-built lab tree", () => {
  it("finds the mounts inside it, deepest first, and none beside it", () => {
    expect(mountsBelow(MOUNTINFO, "/cache/f8.building-21379")).toEqual([
      "/cache/f8.building-21379/target-root/proc/sys/fs/binfmt_misc",
      "/cache/f8.building-21379/target-root/proc",
      "/cache/f8.building-21379/source root/dev",
    ]);
    expect(mountsBelow(MOUNTINFO, "/cache/f8.building-21379/source root/")).toEqual([
      "/cache/f8.building-21379/source root/dev",
    ]);
  });

  it.runIf(isRoot)(
    "unmounts a proc left mounted inside (as a killed debootstrap leaves it), then removes the tree",
    async () => {
      const work = await tempDir("mudanza-remove-tree-");
      const tree = join(work, "h.building-1", "target-root");
      await mkdir(join(tree, "proc"), { recursive: true });
      await writeFile(join(tree, "file"), "x");
      execFileSync("mount", ["-t", "proc", "proc", join(tree, "proc")]);
      try {
        await removeTree(join(work, "h.building-1"));
      } finally {
        if (existsSync(join(tree, "proc", "self"))) execFileSync("umount", ["-l", join(tree, "proc")]);
      }
      expect(existsSync(join(work, "h.building-1"))).toBe(false);
      expect(await readFile("/proc/self/mountinfo", "utf8")).not.toContain(work);
    },
  );
});
