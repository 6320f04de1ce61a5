import { describe, expect, it } from "vitest";
import { unusableChainFindings, type ChainImage } from "../../src/steps/image/raw-content.js";

const image = (path: string, more: Partial<ChainImage>): ChainImage => ({
  path,
  format: "qcow2",
  virtualSize: 16 << 20,
  fileType: "file",
  fileSize: 196_616,
  ...more,
});

describe("unusableChainFindings: a backing format the overlay names wrong (new-user trial 8, finding 8)", () => {
  it("names the overlay right above the base, and its header's backing name, deeper in a chain", () => {
    const findings = unusableChainFindings([
      image("/v/top.qcow2", { backingFilename: "mid.qcow2" }),
      image("/v/mid.qcow2", { backingFilename: "../b/base.qcow2" }),
      image("/b/base.qcow2", { format: "raw", probedFormat: "qcow2" }),
    ]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      title: "The overlay names the wrong backing format",
      summary: expect.stringContaining(
        "/v/mid.qcow2 (in the backing chain of /v/top.qcow2) says its backing file /b/base.qcow2 is raw",
      ) as string,
      remediation: expect.stringContaining("qemu-img rebase -u -F qcow2 -b ../b/base.qcow2 /v/mid.qcow2") as string,
    });
  });

  it("a raw file that qemu-img also reads as raw by itself is still no disk", () => {
    const findings = unusableChainFindings([
      image("/v/top.qcow2", { backingFilename: "notes.txt" }),
      image("/v/notes.txt", { format: "raw", fileSize: 3, probedFormat: "raw" }),
    ]);
    expect(findings.map((f) => f.title)).toEqual(["Not a disk image"]);
  });
});
