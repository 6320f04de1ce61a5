import { EventEmitter } from "node:events";
import type { Client, ClientChannel } from "ssh2";
import { describe, expect, it } from "vitest";
import { runOnChannel } from "../../src/hosts/ssh/run-channel.js";

/** A command that runs until it gets a signal, on a channel that opens a moment after exec is called. */
function slowOpeningClient(onOpen: () => void): { client: Client; signals: string[] } {
  const signals: string[] = [];
  const channel = Object.assign(new EventEmitter(), {
    stderr: new EventEmitter(),
    end: () => undefined,
    close: () => channel.emit("close"),
    signal: (name: string) => {
      signals.push(name);
      // As sshd does: the exit status and the close arrive later, over the wire.
      setImmediate(() => {
        channel.emit("exit", null);
        channel.emit("close");
      });
    },
  });
  const client = {
    exec(_command: string, callback: (error: Error | undefined, channel: ClientChannel) => void) {
      setImmediate(() => {
        onOpen();
        callback(undefined, channel as unknown as ClientChannel);
      });
    },
  } as unknown as Client;
  return { client, signals };
}

describe("runOnChannel", () => {
  it("stops a command whose abort came while its channel was opening", async () => {
    const controller = new AbortController();
    // The abort lands after exec was sent and before the channel is handed over.
    const { client, signals } = slowOpeningClient(() => controller.abort());
    const stopped: string[] = [];
    const running = runOnChannel(client, "sleep 600", { signal: controller.signal }, (s) => stopped.push(s));
    const result = await Promise.race([running, new Promise((r) => setTimeout(() => r("still running"), 10_000))]);
    expect(result).toMatchObject({ code: -1, aborted: true });
    expect(signals).toEqual(["TERM"]);
    expect(stopped).toEqual(["TERM"]);
  });
});
