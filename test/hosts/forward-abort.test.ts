import type { Client } from "ssh2";
import { describe, expect, it } from "vitest";
import { InterruptedError } from "../../src/errors.js";
import { forwardTo } from "../../src/hosts/ssh/open-client.js";

describe("opening the way on through a jump host", () => {
  it("ends at Ctrl-C with the interruption, while the jump host has not answered (review)", async () => {
    // A jump host that never answers the forward request.
    const silentJump = { forwardOut: () => undefined } as unknown as Client;
    const controller = new AbortController();
    const forwarding = forwardTo(
      silentJump,
      "jump host bastion (for source)",
      "db1.example.org",
      22,
      controller.signal,
    );
    controller.abort(new InterruptedError("SIGINT"));
    await expect(forwarding).rejects.toBeInstanceOf(InterruptedError);
    // An abort before asking does not ask.
    let asked = 0;
    const counting = { forwardOut: () => void asked++ } as unknown as Client;
    await expect(forwardTo(counting, "jump", "db1.example.org", 22, controller.signal)).rejects.toThrow(
      "interrupted by SIGINT",
    );
    expect(asked).toBe(0);
  });
});
