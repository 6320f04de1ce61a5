import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveStateDir } from "../../src/cli/state-dir.js";

describe("the default state dir", () => {
  const fallback = join(homedir(), ".local", "state", "mudanza");

  it("is $XDG_STATE_HOME/mudanza when it is absolute, else ~/.local/state/mudanza", () => {
    expect(resolveStateDir(undefined, { XDG_STATE_HOME: "/var/lib/me" })).toBe("/var/lib/me/mudanza");
    expect(resolveStateDir(undefined, {})).toBe(fallback);
    expect(resolveStateDir(undefined, { XDG_STATE_HOME: "" })).toBe(fallback);
  });

  it("ignores a relative $XDG_STATE_HOME, as the XDG Base Directory spec says (found by a new-user trial: 'No runs yet in relative/mudanza')", () => {
    for (const relative of ["relative", "./state", "../state", "~/state"])
      expect(resolveStateDir(undefined, { XDG_STATE_HOME: relative }), relative).toBe(fallback);
  });

  it("is --state-dir when given, relative to here", () => {
    expect(resolveStateDir("here", { XDG_STATE_HOME: "/var/lib/me" })).toBe(join(process.cwd(), "here"));
  });

  it("refuses an empty --state-dir instead of using the default one (found by a new-user trial)", () => {
    for (const empty of ["", "  "])
      expect(() => resolveStateDir(empty, {})).toThrow(
        "--state-dir is empty: name a folder, or leave the option out for the default one",
      );
  });
});
