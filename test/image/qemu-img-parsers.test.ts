import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  imageCheckClean,
  isLockConflict,
  parseBackingChain,
  parseImageCheck,
  parseImageInfo,
} from "../../src/kvm/qemu-img-info.js";
import { renderChain } from "../../src/steps/image/render-chain.js";

const fx = (p: string): string => readFileSync(`fixtures/kvm/qemu-img/${p}`, "utf8");

describe("qemu-img JSON (7.2)", () => {
  it("info of a single image", () => {
    expect(parseImageInfo(fx("info-base.json"))).toMatchObject({ format: "qcow2", "virtual-size": 134217728 });
  });
  it("a backing chain, top first, with the relative backing name", () => {
    const chain = parseBackingChain(fx("info-backing-chain-lab1.json"));
    expect(chain.map((c) => c.filename)).toEqual(["lab1.qcow2", "base.qcow2"]);
    expect(chain[0]?.["backing-filename"]).toBe("base.qcow2");
    const text = renderChain(
      chain.map((c) => ({
        filename: c.filename,
        format: c.format,
        virtualSize: c["virtual-size"],
        allocated: c["actual-size"] ?? null,
        backingFilename: c["backing-filename"],
      })),
    );
    expect(text.split("\n")[0]).toMatch(
      /^lab1\.qcow2 \(qcow2, virtual 128 MiB, on disk .*, backing file "base\.qcow2"\)$/,
    );
    expect(text).toMatch(/total on disk: .* in 2 file\(s\)/);
  });
  it("check output", () => {
    expect(imageCheckClean(parseImageCheck(fx("check-base.json")))).toBe(true);
    expect(
      imageCheckClean(
        parseImageCheck(JSON.stringify({ "check-errors": 0, corruptions: 2, filename: "x", format: "qcow2" })),
      ),
    ).toBe(false);
  });
  it("recognises QEMU's write-lock conflict", () => {
    expect(isLockConflict(fx("info-locked.stderr"))).toBe(true);
    expect(isLockConflict("qemu-img: Could not open 'x': No such file or directory")).toBe(false);
  });
});
