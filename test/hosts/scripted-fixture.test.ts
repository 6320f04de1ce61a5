import { mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";

async function fixtureDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mudanza-fixture-"));
  await mkdir(join(dir, "base/files/etc"), { recursive: true });
  await writeFile(join(dir, "base/files/etc/debian_version"), "12.5\n");
  await symlink("usr/lib", join(dir, "base/files/lib"));
  await writeFile(
    join(dir, "base/host.yaml"),
    'description: base\nprovenance: test\nfiles: files\ncommands:\n  - run: uname -r\n    stdout: "6.1.0-18-amd64\\n"\n',
  );
  await mkdir(join(dir, "child/out"), { recursive: true });
  await writeFile(join(dir, "child/out/dpkg.txt"), "linux-image-6.1.0-18-amd64: /boot/vmlinuz-6.1.0-18-amd64\n");
  await writeFile(
    join(dir, "child/host.yaml"),
    "description: child\nprovenance: test\nextends: ../base\ncommands:\n  - pattern: '^dpkg -S '\n    stdoutFile: out/dpkg.txt\n  - run: systemctl stop mariadb\n    mutates: true\n  - run: uname -r\n    stdout: \"6.1.0-20-amd64\\n\"\n",
  );
  return join(dir, "child");
}

describe("scripted host fixtures", () => {
  it("loads files, symlinks and command output, with the child overriding its parent", async () => {
    const host = await loadScriptedHost(await fixtureDir(), "target");
    expect(await host.readFile("/etc/debian_version")).toBe("12.5\n");
    expect(await host.stat("/lib")).toMatchObject({ type: "symlink", linkTarget: "usr/lib" });
    expect((await host.exec("uname -r")).stdout).toBe("6.1.0-20-amd64\n");
    expect((await host.exec("dpkg -S /boot/vmlinuz-6.1.0-18-amd64")).stdout).toContain("linux-image-6.1.0-18-amd64");
    expect(host.mutations).toEqual([]);
  });

  it("records mutating and unknown commands as mutations; built-ins read the tree", async () => {
    const host = await loadScriptedHost(await fixtureDir(), "target");
    expect((await host.exec("cat /etc/debian_version")).stdout).toBe("12.5\n");
    expect((await host.exec("test -L /lib")).code).toBe(0);
    expect((await host.exec("test -d /lib")).code).toBe(1);
    await host.exec("systemctl stop mariadb");
    const unknown = await host.exec("rm -rf /");
    expect(unknown.code).toBe(127);
    expect(host.mutations.map((m) => (m.kind === "exec" ? m.command : m.kind))).toEqual([
      "systemctl stop mariadb",
      "rm -rf /",
    ]);
  });

  it("rejects a fixture without provenance", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mudanza-fixture-"));
    await writeFile(join(dir, "host.yaml"), "description: x\n");
    await expect(loadScriptedHost(dir, "source")).rejects.toThrow(/provenance/);
  });
});
