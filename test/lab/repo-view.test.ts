import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeRepoIndex } from "../../src/lab/apt-repo.js";
import { repoWithout } from "../../src/lab/repo-view.js";

const stanza = (name: string, version: string) =>
  `Package: ${name}\nVersion: ${version}\nArchitecture: amd64\nFilename: ./${name}_${version}_amd64.deb\nSize: 4\n`;

describe("a lab repository before its kernel update", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("lists every package but the held versions, serves the same files, and is dated before the full repository", async () => {
    dir = await mkdtemp(join(tmpdir(), "mz-repo-view-"));
    const full = join(dir, "full");
    const view = join(dir, "view");
    const entries = [
      stanza("linux-image-cloud-amd64", "6.1.150-1"),
      stanza("linux-image-cloud-amd64", "6.1.999-1"),
      stanza("linux-image-6.1.0-99-cloud-amd64", "6.1.999-1"),
      stanza("rsync", "3.2.7-1"),
    ];
    await mkdir(full);
    await writeRepoIndex(full, entries.join("\n"), new Date("2026-12-01T23:10:00Z"));
    await writeFile(join(full, "rsync_3.2.7-1_amd64.deb"), "deb!");

    await repoWithout(full, view, [
      { name: "linux-image-cloud-amd64", version: "6.1.999-1" },
      { name: "linux-image-6.1.0-99-cloud-amd64", version: "6.1.999-1" },
    ]);

    const packages = await readFile(join(view, "Packages"), "utf8");
    expect(packages).toBe([entries[0], entries[3]].join("\n"));
    expect((await stat(join(view, "rsync_3.2.7-1_amd64.deb"))).ino).toBe(
      (await stat(join(full, "rsync_3.2.7-1_amd64.deb"))).ino,
    );
    const release = await readFile(join(view, "Release"), "utf8");
    const sha = createHash("sha256").update(packages).digest("hex");
    expect(release).toContain(` ${sha} ${Buffer.byteLength(packages)} Packages\n`);
    // apt takes an older Release for a rollback and keeps what it had: the view must be the older one
    expect(Date.parse(/^Date: (.+)$/m.exec(release)![1]!)).toBeLessThan(Date.parse("2026-12-01T23:10:00Z"));
  });
});
