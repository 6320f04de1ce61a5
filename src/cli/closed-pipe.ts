import { stdoutWriteFailed } from "./stdout-failure.js";

/**
 * A reader that goes away early (`mudanza ... --json | head -5`) is normal: writes to its pipe fail with
 * EPIPE, which Node raises as an uncaught 'error' and a stack trace. Here such a stream is just dropped;
 * a run goes on to its end (stopping a migration half-way because a pager closed would be worse), and
 * every event is still in the run's log file. stdout's other errors are said and dropped; stderr's stay fatal.
 */
function survivePipeClosing(stream: NodeJS.WriteStream, name: "stdout" | "stderr"): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") return;
    // stdout that cannot be written (a full disk) is dropped too, but said (stdout-failure.ts)
    if (name === "stdout") return stdoutWriteFailed(error);
    throw error;
  });
}

/**
 * survivePipeClosing for `process.stdout` or `process.stderr`, from the moment something first uses it. Node
 * makes each of them on first use, and making one costs a start: a pipe or a terminal loads node's net, stream
 * and tty modules. `status` and `--help` never write to stderr, so they no longer pay for it (`process` is a
 * parameter for the tests). Where the property is not a configurable getter, the stream is made at once.
 */
export function survivePipeClosingOnceOpened(
  owner: Pick<NodeJS.Process, "stdout" | "stderr">,
  name: "stdout" | "stderr",
): void {
  const made = Object.getOwnPropertyDescriptor(owner, name);
  const make = made?.get;
  if (!make || !made.configurable) return survivePipeClosing(owner[name], name);
  let stream: NodeJS.WriteStream | undefined;
  Object.defineProperty(owner, name, {
    configurable: true,
    enumerable: made.enumerable,
    get() {
      if (!stream) {
        stream = make.call(owner) as NodeJS.WriteStream;
        survivePipeClosing(stream, name);
      }
      return stream;
    },
  });
}
