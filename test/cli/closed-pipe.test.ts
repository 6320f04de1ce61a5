import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { survivePipeClosingOnceOpened } from "../../src/cli/closed-pipe.js";

/** A stand-in for `process`: its stream made on first use, as Node makes process.stderr. */
function lazyOwner() {
  const counts = { made: 0 };
  const stream = new EventEmitter() as unknown as NodeJS.WriteStream;
  const owner = {} as Pick<NodeJS.Process, "stdout" | "stderr">;
  Object.defineProperty(owner, "stderr", {
    configurable: true,
    enumerable: true,
    get() {
      counts.made++;
      return stream;
    },
  });
  return { owner, stream, counts };
}

const failure = (code: string) => Object.assign(new Error(code), { code });

describe("survivePipeClosingOnceOpened", () => {
  it("makes no stream until something uses it, then makes it once", () => {
    const { owner, stream, counts } = lazyOwner();
    survivePipeClosingOnceOpened(owner, "stderr");
    expect(counts.made).toBe(0);
    expect(owner.stderr).toBe(stream);
    expect(owner.stderr).toBe(stream);
    expect(counts.made).toBe(1);
  });

  it("drops a closed pipe's EPIPE on the stream once used, and keeps other errors fatal", () => {
    const { owner, stream } = lazyOwner();
    survivePipeClosingOnceOpened(owner, "stderr");
    void owner.stderr;
    expect(() => stream.emit("error", failure("EPIPE"))).not.toThrow();
    expect(() => stream.emit("error", failure("ERR_STREAM_DESTROYED"))).not.toThrow();
    expect(() => stream.emit("error", failure("EIO"))).toThrow("EIO");
  });

  it("guards a stream that is a plain property at once", () => {
    const stream = new EventEmitter() as unknown as NodeJS.WriteStream;
    const owner = { stderr: stream } as Pick<NodeJS.Process, "stdout" | "stderr">;
    survivePipeClosingOnceOpened(owner, "stderr");
    expect(() => stream.emit("error", failure("EPIPE"))).not.toThrow();
    expect(owner.stderr).toBe(stream);
  });
});
