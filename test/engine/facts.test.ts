import { describe, expect, it } from "vitest";
import { z } from "zod";
import { checkedFact, defineFact, FactShapeError, keysOf, readFact } from "../../src/engine/facts.js";
import { OVZ_FACTS } from "../../src/steps/openvz-to-kvm/facts.js";

describe("typed facts", () => {
  const window = defineFact("freezeWindowSec", z.number());

  it("reads a journaled value as its declared type, and undefined when absent", () => {
    expect(readFact({ freezeWindowSec: 4.2 }, window)).toBe(4.2);
    expect(readFact({}, window)).toBeUndefined();
  });

  it("a value an older version wrote in another shape stops with the fact's name and --restart", () => {
    const old = { databases: ["mariadb.service"] };
    expect(() => readFact(old, OVZ_FACTS.databases)).toThrow(FactShapeError);
    expect(() => readFact(old, OVZ_FACTS.databases)).toThrow(
      /fact "databases" is not what this version of mudanza writes .*--restart/,
    );
  });

  it("refuses to write a value that does not fit its declaration", () => {
    expect(() => checkedFact(window, "soon" as unknown as number)).toThrow(
      /fact "freezeWindowSec" would be written in the wrong shape/,
    );
  });
});

describe("one fact-key convention", () => {
  it("a key is a bare camelCase name: a prefix or a dot is refused when the fact is declared", () => {
    expect(() => defineFact("vserver.inventory", z.string())).toThrow(/not a bare camelCase name/);
    expect(() => defineFact("FreezeWindow", z.string())).toThrow(/not a bare camelCase name/);
  });

  it("a fact's key is its name in the facts module", () => {
    expect(() => keysOf({ window: defineFact("freezeWindowSec", z.number()) })).toThrow(
      /fact "window" is journaled as "freezeWindowSec"/,
    );
    expect(keysOf({ freezeWindowSec: defineFact("freezeWindowSec", z.number()) })).toEqual({
      freezeWindowSec: "freezeWindowSec",
    });
  });
});
