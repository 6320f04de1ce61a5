import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalHost } from "../../src/hosts/local-host.js";
import { findOverlayOfBaseSnippet, imagesBackingOnto } from "../../src/steps/image/backing-users.js";

// Real qemu-img on real files.
const qemuImg = (...args: string[]): string => execFileSync("qemu-img", args, { encoding: "utf8" });
const overlay = (file: string, backing: string) =>
  qemuImg("create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", backing, file);

let dir: string;
let base: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-backing-users-"));
  base = join(dir, "base.qcow2");
  qemuImg("create", "-q", "-f", "qcow2", base, "8M");
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("the overlays of a disk: one judgement for sparsify's check and the clone undo's shell", () => {
  it("finds overlays by any name, hidden ones, and by relative or absolute backing path, in every folder given", async () => {
    const other = join(dir, "other");
    await mkdir(other);
    overlay(join(dir, "web1.img"), "base.qcow2");
    overlay(join(dir, ".hidden.qcow2"), base);
    overlay(join(other, "web2.qcow2"), "../base.qcow2");
    // Not overlays of the base: one of another image, a text file, and the base itself.
    qemuImg("create", "-q", "-f", "qcow2", join(dir, "other-base.qcow2"), "8M");
    overlay(join(dir, "of-other.qcow2"), "other-base.qcow2");
    await writeFile(join(dir, "notes.txt"), "hello\n");

    const host = new LocalHost("local");
    expect((await imagesBackingOnto(host, base, undefined, [other])).sort()).toEqual(
      [join(dir, ".hidden.qcow2"), join(dir, "web1.img"), join(other, "web2.qcow2")].sort(),
    );
    expect(await imagesBackingOnto(host, join(dir, "other-base.qcow2"))).toEqual([join(dir, "of-other.qcow2")]);
    // The undo's snippet stops at the first it finds; with the folder holding only foreign files it finds none.
    const first = await host.exec(`${findOverlayOfBaseSnippet(base, [other])}; printf '%s' "$standing"`);
    expect(first.stdout).toBe(join(other, "web2.qcow2"));
    await rm(join(other, "web2.qcow2"));
    const none = await host.exec(`${findOverlayOfBaseSnippet(base, [other])}; printf '%s' "$standing"`);
    expect(none.stdout).toBe("");
  });
});
