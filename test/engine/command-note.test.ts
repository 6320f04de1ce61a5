import { describe, expect, it } from "vitest";
import { commandNote } from "../../src/engine/command-note.js";

describe("the note above a planned command", () => {
  it("is the purpose for a command that always runs", () => {
    expect(commandNote({ purpose: "final pass" })).toBe("final pass");
    expect(commandNote({})).toBeUndefined();
  });
  it("says the case a fallback runs in, before its purpose", () => {
    expect(commandNote({ purpose: "the freeze again", when: "the proof finds a stale file" })).toBe(
      "only if the proof finds a stale file: the freeze again",
    );
    expect(commandNote({ when: "the list fails" })).toBe("only if the list fails");
  });
});
