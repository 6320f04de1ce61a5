import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { ExecResult, Host } from "../../src/hosts/host.js";
import { validateSparsifyOptions } from "../../src/plan/options/image-sparsify.js";
import { guestfsEnv, listGuestFilesystems } from "../../src/steps/image/guest-filesystems.js";
import { sparsifyCommand } from "../../src/steps/image/sparsify.js";

/** A host whose commands answer, in turn, with `results`. */
const answering = (...results: ExecResult[]): Host =>
  ({ exec: async (): Promise<ExecResult> => results.shift()! }) as unknown as Host;

const list = (host: Host) => listGuestFilesystems(host, "/disks/web1.qcow2", "tcg", "/run/tmp");

describe("guestfish's failures (found by a new-user trial: a message ending in ': ' when its stderr was empty)", () => {
  it("an image it cannot open: exit code and 'nothing on stderr', or the last lines it said", async () => {
    await expect(list(answering({ code: 1, stdout: "", stderr: "" }))).rejects.toThrow(
      /^guestfish could not open \/disks\/web1\.qcow2 \(exit 1, nothing on stderr\)$/,
    );
    await expect(list(answering({ code: 1, stdout: "", stderr: "one\ntwo\nthree\n" }))).rejects.toThrow(
      /^guestfish could not open \/disks\/web1\.qcow2 \(exit 1: two \| three\)$/,
    );
  });

  it("a filesystem it cannot mount: the same words", async () => {
    const filesystems = await list(
      answering({ code: 0, stdout: "/dev/sda1: ext4\n", stderr: "" }, { code: 1, stdout: "", stderr: "\n" }),
    );
    expect(filesystems).toEqual([
      { device: "/dev/sda1", type: "ext4", error: "guestfish failed (exit 1, nothing on stderr)" },
    ]);
  });
});

describe("libguestfs's socket folder goes in the run's own folder, when its path fits (new-user trial 8, finding 10)", () => {
  /** The env `guestfsEnv` gives the tools, run by sh, as each tool would see it. */
  const seen = (dir: string): string =>
    execFileSync("sh", ["-c", `${guestfsEnv("tcg", dir)} sh -c 'echo "$XDG_RUNTIME_DIR"'`], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, XDG_RUNTIME_DIR: "/run/user/1000" },
    }).trimEnd();

  it("XDG_RUNTIME_DIR is the folder, quoted, while DIR/libguestfsXXXXXX/guestfsd.sock fits in 107 bytes", () => {
    const fits = `/srv/tmp/it's ${"x".repeat(76 - "/srv/tmp/it's ".length)}`;
    expect(Buffer.byteLength(fits)).toBe(76);
    expect(seen(fits)).toBe(fits);
    expect(
      sparsifyCommand(validateSparsifyOptions({ disk: "/d/web1.qcow2", tmpdir: "/srv/tmp", uri: "" }, {}), "kvm"),
    ).toMatch(/ XDG_RUNTIME_DIR=\/srv\/tmp\/mudanza-sparsify-web1\.sparse\.qcow2-[0-9a-f]{12} virt-sparsify /);
  });

  it("a longer folder is not given (libguestfs would fail with 'socket path too long'): it keeps what it had", () => {
    const long = `/srv/tmp/${"é".repeat(34)}`; // 77 bytes, 43 characters
    expect(Buffer.byteLength(long)).toBe(77);
    expect(guestfsEnv("tcg", long)).not.toContain("XDG_RUNTIME_DIR");
    expect(seen(long)).toBe("/run/user/1000");
  });
});
