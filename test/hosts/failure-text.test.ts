import { describe, expect, it } from "vitest";
import { failureText } from "../../src/hosts/failure-text.js";

describe("failureText", () => {
  it("says the exit code and that stderr was empty, instead of ending in ': '", () => {
    expect(failureText({ code: 3, stderr: "" })).toBe("exit 3, nothing on stderr");
    expect(failureText({ code: 3, stderr: " \n\n" })).toBe("exit 3, nothing on stderr");
  });

  it("gives the last lines of stderr otherwise, two unless told", () => {
    expect(failureText({ code: 1, stderr: "a\nb\nc\n" })).toBe("exit 1: b | c");
    expect(failureText({ code: 1, stderr: "a\nb\nc\n" }, 3)).toBe("exit 1: a | b | c");
  });
});
