import { describe, expect, it } from "vitest";
import { compareTopLinks, type LinkState } from "../../src/steps/host/dirlinks.js";

const states = (...s: string[]): LinkState[] =>
  ["/bin", "/sbin", "/lib", "/lib64"].map((path, i) => ({ path, state: s[i]! }));

/** --delete removes whatever the source lacks: a top-level directory only the target has would go. */
describe("top-level directories only the target has", () => {
  it("a 32-bit container (no /lib64) onto a 64-bit VM is blocked: the loader would be deleted", () => {
    const verdict = compareTopLinks(states("dir", "dir", "dir", "absent"), states("dir", "dir", "dir", "dir"));
    expect(verdict.block).toMatch(/\/lib64.*--delete would remove it.*64-bit program loader/);
  });
  it("the same on usrmerged systems", () => {
    const verdict = compareTopLinks(
      states("-> usr/bin", "-> usr/sbin", "-> usr/lib", "absent"),
      states("-> usr/bin", "-> usr/sbin", "-> usr/lib", "-> usr/lib64"),
    );
    expect(verdict.block).toMatch(/another architecture/);
  });
  it("absent on both (an architecture without /lib64) is fine", () => {
    expect(
      compareTopLinks(states("dir", "dir", "dir", "absent"), states("dir", "dir", "dir", "absent")).block,
    ).toBeUndefined();
  });
  it("present only on the source is fine (the copy creates it)", () => {
    expect(
      compareTopLinks(states("dir", "dir", "dir", "dir"), states("dir", "dir", "dir", "absent")).block,
    ).toBeUndefined();
  });
});
