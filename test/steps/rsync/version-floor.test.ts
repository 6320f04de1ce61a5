import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseRsyncVersion, type RsyncBuild } from "../../../src/steps/rsync/compression.js";
import { rsyncVersionFindings } from "../../../src/steps/rsync/version-floor.js";

/** `rsync --version` as that release prints it (fixtures/hosts/rsync-output/README.md). */
const release = (version: string): RsyncBuild | null =>
  parseRsyncVersion(readFileSync(`fixtures/hosts/rsync-output/version-${version}.txt`, "utf8"));

const blockers = (source: RsyncBuild | null, target: RsyncBuild | null) =>
  rsyncVersionFindings({ source, target }).map((f) => ({ blocks: f.blocks, host: f.host, summary: f.summary }));

describe("the copy's rsync version floor", () => {
  it("reads the version of releases before 3.1", () => {
    expect(release("2.6.0")).toEqual({ version: "2.6.0", compressors: null });
    expect(release("3.0.0")).toEqual({ version: "3.0.0", compressors: null });
    expect(parseRsyncVersion("rsync  version 3.0.9  protocol version 30\n")?.version).toBe("3.0.9");
  });

  it("blocks a sender before 3.1.0, naming the version found and what the copy needs", () => {
    const findings = rsyncVersionFindings({ source: release("3.0.0"), target: release("3.1.0") });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ title: "rsync too old on the source", blocks: true, host: "source" });
    expect(findings[0]!.summary).toContain("the source has rsync 3.0.0");
    expect(findings[0]!.summary).toContain("rsync 3.1.0 or later (--info=progress2 and --ignore-missing-args");
    expect(findings[0]!.remediation).toMatch(/^install rsync 3\.1\.0 or later on the source/);
  });

  it("blocks a receiver before 3.0.0 (-A, -X), and lets a 3.0.x one receive from a 3.1 sender", () => {
    expect(blockers(release("3.1.0"), release("2.6.0"))).toEqual([
      expect.objectContaining({ blocks: true, host: "target" }),
    ]);
    expect(blockers(release("3.1.0"), release("2.6.0"))[0]!.summary).toContain(
      "-A (ACLs) and -X (xattrs), rsync 3.0.0",
    );
    expect(blockers(release("3.1.0"), release("3.0.0"))).toEqual([]);
    expect(blockers(parseRsyncVersion("rsync  version 3.0.9  protocol version 30\n"), release("3.0.0"))).toHaveLength(
      1,
    );
  });

  it("says nothing of an unreadable version (rsync missing is its own blocker)", () => {
    expect(blockers(null, null)).toEqual([]);
  });
});
