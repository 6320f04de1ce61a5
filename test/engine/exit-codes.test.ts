import { describe, expect, it } from "vitest";
import { BlockedError, BusyError } from "../../src/errors.js";
import { EXIT, exitCodeFor, exitCodeForRun } from "../../src/exit-codes.js";

describe("run status to exit code (the CLI's mapping; the runner reports only a status)", () => {
  it.each([
    [{ status: "done" as const }, EXIT.done],
    [{ status: "dry-run" as const }, EXIT.done],
    [{ status: "blocked" as const }, EXIT.blocked],
    [{ status: "failed" as const }, EXIT.stepFailed],
    [{ status: "declined" as const }, EXIT.stepFailed],
    [{ status: "interrupted" as const, signal: "SIGINT" as const }, EXIT.sigint],
    [{ status: "interrupted" as const, signal: "SIGTERM" as const }, EXIT.sigterm],
  ])("%o exits %i", (end, code) => {
    expect(exitCodeForRun(end)).toBe(code);
  });
});

describe("errors to exit codes", () => {
  it("another run holding the lock is busy (75, retry later), a blocker is blocked (3)", () => {
    expect(exitCodeFor(new BusyError("another mudanza run holds x.lock"))).toBe(75);
    expect(exitCodeFor(new BlockedError("the target disk is too small"))).toBe(3);
  });
});
