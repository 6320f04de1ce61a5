import { describe, expect, it } from "vitest";
import { LocalHost } from "../../src/hosts/local-host.js";
import { cmd, pasteable, raw, sh, shellQuote } from "../../src/hosts/quote.js";
import { execFileSync } from "node:child_process";

const HOSTILE = [
  "",
  "plain",
  "two words",
  "it's",
  "'''",
  `"double" and 'single'`,
  "$(touch /tmp/mudanza-pwned)",
  "`id`",
  "${HOME}",
  "a;b&&c||d|e",
  "*",
  "~root",
  "line1\nline2",
  "tab\there",
  "-rf",
  "--delete",
  "back\\slash",
  "ünïcødé ✓",
  "!bang",
  "#comment",
  ">redirect <in",
];

describe("shellQuote", () => {
  it("passes safe words through untouched and quotes the rest", () => {
    expect(shellQuote("/var/lib/mysql")).toBe("/var/lib/mysql");
    expect(shellQuote("two words")).toBe("'two words'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote("")).toBe("''");
  });

  it("refuses NUL bytes, which no shell argument can carry", () => {
    expect(() => shellQuote("a\0b")).toThrow(/NUL/);
  });

  it("round-trips hostile input through a real /bin/sh byte for byte", async () => {
    const host = new LocalHost("local");
    for (const value of HOSTILE) {
      const result = await host.exec(cmd("printf", "%s", value));
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(value);
    }
  });

  it("keeps each hostile value one word, in order, through cmd and sh", async () => {
    const host = new LocalHost("local");
    const result = await host.exec(`${cmd("printf", "[%s]\\n", ...HOSTILE.slice(1, 8))}`);
    expect(result.stdout).toBe(
      HOSTILE.slice(1, 8)
        .map((v) => `[${v}]\n`)
        .join(""),
    );
    const viaTemplate = await host.exec(sh`printf '%s|' ${HOSTILE[6]!} ${["a b", "c"]}${raw(" && echo ok")}`);
    expect(viaTemplate.stdout).toBe("$(touch /tmp/mudanza-pwned)|a b|c|ok\n");
  });
});

describe("pasteable", () => {
  it("gives a word bash reads back as the text, with no control character printed raw (found by a new-user trial)", () => {
    for (const text of [
      ...HOSTILE.filter((t) => t !== ""),
      "tab\tb.yaml",
      "esc\u001b[2Jx",
      "back\\slash'\nq",
      "del\u007f",
    ]) {
      const word = pasteable(text);
      // eslint-disable-next-line no-control-regex -- what must not reach the terminal raw
      expect(word, text).not.toMatch(/[\u0000-\u001f\u007f]/);
      expect(execFileSync("bash", ["-c", `printf %s ${word}`], { encoding: "utf8" }), text).toBe(text);
    }
    expect(pasteable("plain.yaml")).toBe("plain.yaml");
    expect(pasteable("tab\tb.yaml")).toBe("$'tab\\x09b.yaml'");
  });
});
