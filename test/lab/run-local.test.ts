import { describe, expect, it } from "vitest";
import { runLocal } from "../../src/lab/local.js";

describe("runLocal's silence watchdog (the lab's debootstrap)", () => {
  it("stops a command that goes quiet, with the processes it started", async () => {
    // an odd duration no other test sleeps, to find this command's own child afterwards
    const error = await runLocal(["sh", "-c", "sleep 311.37 & wait"], { silenceTimeoutMs: 1000 }).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^lab command printed nothing for 1 s and was stopped: sh -c/);
    expect(await runLocal(["sh", "-c", "pgrep -f '^sleep 311[.]37$' || true"])).toBe("");
  });

  it("leaves a command running that keeps printing, however long it takes in all", async () => {
    const out = await runLocal(
      ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do echo $i; sleep 0.2; done"],
      {
        silenceTimeoutMs: 1000,
      },
    );
    expect(out.trim().split("\n")).toHaveLength(15);
  });
});
