import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTempDirs } from "../../support/temp-dirs.js";
import { LocalHost } from "../../../src/hosts/local-host.js";
import { COMMON_EXCLUDES, rsyncCommand, runRsyncPass } from "../../../src/steps/rsync/index.js";

/** Temporary directories of this file's tests, removed after each. */
const tempDir = useTempDirs();

async function put(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

const pass = (from: string, to: string) =>
  runRsyncPass(
    new LocalHost("source"),
    rsyncCommand({ from, to, excludes: COMMON_EXCLUDES, keepDirlinks: false }),
    "pass",
    { progress: () => {}, output: () => {} },
    { timeoutMs: 60_000 },
  );

/** Real rsync with the pipeline's excludes: root's authorized_keys on the receiver is never replaced or deleted. */
describe("root's authorized_keys on the target survives the copy", () => {
  it("when the source has its own file, the rest of /root/.ssh still comes over", async () => {
    const base = await tempDir("mudanza-keys-");
    await put(join(base, "src"), {
      "root/.ssh/authorized_keys": "ssh-ed25519 AAAA ops@source\n",
      "root/.ssh/known_hosts": "source's\n",
    });
    await put(join(base, "dst"), { "root/.ssh/authorized_keys": "ssh-ed25519 BBBB admin@workstation\n" });
    expect((await pass(join(base, "src"), join(base, "dst"))).code).toBe(0);
    expect(await readFile(join(base, "dst/root/.ssh/authorized_keys"), "utf8")).toBe(
      "ssh-ed25519 BBBB admin@workstation\n",
    );
    expect(await readFile(join(base, "dst/root/.ssh/known_hosts"), "utf8")).toBe("source's\n");
  });

  it("when the source has no /root/.ssh at all (--delete keeps the file, rsync still exits 0)", async () => {
    const base = await tempDir("mudanza-keys-");
    await put(join(base, "src"), { "root/.bashrc": "# source\n" });
    await put(join(base, "dst"), { "root/.ssh/authorized_keys": "ssh-ed25519 BBBB admin@workstation\n" });
    expect((await pass(join(base, "src"), join(base, "dst"))).code).toBe(0);
    expect(await readFile(join(base, "dst/root/.ssh/authorized_keys"), "utf8")).toBe(
      "ssh-ed25519 BBBB admin@workstation\n",
    );
  });
});
