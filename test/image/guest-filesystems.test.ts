import { describe, expect, it } from "vitest";
import type { ExecResult, Host } from "../../src/hosts/host.js";
import { listGuestFilesystems } from "../../src/steps/image/guest-filesystems.js";

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
