import { describe, expect, it } from "vitest";
import { delegatingHost } from "../../src/hosts/delegating-host.js";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";
import { excludesFor } from "../../src/steps/openvz-to-kvm/sync.js";
import { planFrom, stepContext } from "./context.js";

// Found in review: excludesAndMounts built both layouts and returned one; when the source could not be read,
// the other's rejection was unhandled, which ends the CLI without running its compensations.
describe("the copy's layouts when the source cannot be read", () => {
  it("reject where they are awaited, and nowhere else", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const scripted = await loadScriptedHost("fixtures/hosts/debian-12-openvz-source", "source");
      const lost = new Error("ssh connection to the source lost");
      const source = delegatingHost(scripted, {
        exec: () => Promise.reject(lost),
        readFile: () => Promise.reject(lost),
        stat: () => Promise.reject(lost),
      });
      const target = await loadScriptedHost("fixtures/hosts/debian-12-kvm-target", "target");
      const { ctx } = stepContext(await planFrom("fixtures/plans/ovz-kvm-debian-12.yaml"), { source, target });
      await expect(excludesFor(ctx)).rejects.toThrow("ssh connection to the source lost");
      // Unhandled rejections are reported after a turn of the event loop.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
