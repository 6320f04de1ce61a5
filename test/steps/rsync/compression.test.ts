import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { chooseCompression, parseRsyncVersion, RSYNC_VERSION_COMMAND } from "../../../src/steps/rsync/compression.js";

/** The `rsync --version` answer of a scripted host fixture (real output of that distribution's rsync). */
function versionOutput(fixture: string): string {
  const host = parse(readFileSync(`fixtures/hosts/${fixture}/host.yaml`, "utf8")) as {
    commands: Array<{ run?: string; stdout?: string }>;
  };
  return host.commands.find((c) => c.run === RSYNC_VERSION_COMMAND)!.stdout!;
}

const debian = parseRsyncVersion(versionOutput("debian-12-openvz-source"));
const alma = parseRsyncVersion(versionOutput("almalinux-8.9-kvm-target"));

describe("rsync compression, chosen from both ends' rsync --version", () => {
  it("reads the version and the Compress list (none before rsync 3.2)", () => {
    expect(debian).toEqual({ version: "3.2.7", compressors: ["zstd", "lz4", "zlibx", "zlib", "none"] });
    expect(alma).toEqual({ version: "3.1.3", compressors: null });
    expect(parseRsyncVersion("bash: rsync: command not found\n")).toBeNull();
  });

  it("zstd when both ends list it", () => {
    expect(chooseCompression(debian, debian)).toMatchObject({
      flags: ["--compress", "--compress-choice=zstd"],
      uncompressed: false,
    });
  });

  it("rsync's own negotiation (zlib) when one end has no zstd, saying which end and why", () => {
    const mixed = chooseCompression(debian, alma);
    expect(mixed.flags).toEqual(["--compress"]);
    expect(mixed.summary).toContain("the target's rsync 3.1.3 predates zstd support");
    expect(mixed.summary).not.toContain("source's");
    const noZstd = chooseCompression({ version: "3.2.3", compressors: ["lz4", "zlibx", "zlib", "none"] }, debian);
    expect(noZstd.flags).toEqual(["--compress"]);
    expect(noZstd.summary).toContain("the source's rsync 3.2.3 was built without zstd (it lists: lz4 zlibx zlib none)");
  });

  it("none, flagged, when an end's rsync --version cannot be read", () => {
    const unknown = chooseCompression(debian, null);
    expect(unknown).toMatchObject({ flags: [], uncompressed: true });
    expect(unknown.summary).toContain("the target's rsync --version could not be read");
  });

  it("reads a Compress list that wraps onto a second line", () => {
    const wrapped =
      "rsync  version 3.4.1  protocol version 32\nCompress list:\n    zstd lz4\n    zlibx zlib none\nDaemon auth list:\n    md5\n";
    expect(parseRsyncVersion(wrapped)?.compressors).toEqual(["zstd", "lz4", "zlibx", "zlib", "none"]);
  });
});
