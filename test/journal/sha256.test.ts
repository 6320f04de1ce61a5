import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/journal/sha256.js";

const nodeSha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

describe("sha256Hex, the light front's SHA-256", () => {
  it("gives the standard's test vectors", () => {
    // FIPS 180-4 examples (NIST CSRC): "abc", the 448-bit message, and the empty string
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("equals node:crypto's digest of the UTF-8 bytes at every length around the block edges", () => {
    // 55 and 56 bytes: the length fits in the last block or needs one more; 64: a whole block
    for (let length = 0; length <= 200; length++) {
      const text = "p".repeat(length);
      expect(sha256Hex(text), `length ${length}`).toBe(nodeSha256(text));
    }
  });

  it("hashes multi-byte characters as their UTF-8 bytes, as createHash does with a string", () => {
    for (const text of ["/srv/planes/migración ñ.yaml", "名前: 服务器\n", "emoji 🚚 moves", "é".repeat(40)])
      expect(sha256Hex(text)).toBe(nodeSha256(text));
  });

  it("equals node:crypto on random plans of up to 64 KiB", () => {
    for (let round = 0; round < 40; round++) {
      const text = randomBytes(1 + ((round * 1637) % 65_536)).toString("latin1");
      expect(sha256Hex(text)).toBe(nodeSha256(text));
    }
  });
});
