import { describe, expect, it } from "vitest";
import { exitedWith, failureText } from "../../src/hosts/failure-text.js";
import { systemctlError } from "../../src/steps/services/systemctl-error.js";

describe("failureText", () => {
  it("says the exit code and that stderr was empty, instead of ending in ': '", () => {
    expect(failureText({ code: 3, stderr: "" })).toBe("exit 3, nothing on stderr");
    expect(failureText({ code: 3, stderr: " \n\n" })).toBe("exit 3, nothing on stderr");
  });

  it("gives the last lines of stderr otherwise, two unless told", () => {
    expect(failureText({ code: 1, stderr: "a\nb\nc\n" })).toBe("exit 1: b | c");
    expect(failureText({ code: 1, stderr: "a\nb\nc\n" }, 3)).toBe("exit 1: a | b | c");
  });

  it("exitedWith: all of stderr after the exit code, or that there was none", () => {
    expect(exitedWith({ code: 5, stderr: "first\nsecond\n" })).toBe("exited 5: first\nsecond");
    expect(exitedWith({ code: 5, stderr: "\n" })).toBe("exited 5, nothing on stderr");
    // a site that used to end in ": "
    expect(systemctlError("systemctl show", "source", { code: 1, stderr: "" }).message).toBe(
      "systemctl show on source exited 1, nothing on stderr",
    );
  });
});
