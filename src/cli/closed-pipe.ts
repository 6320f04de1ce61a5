/**
 * A reader that goes away early (`mudanza ... --json | head -5`) is normal: writes to its pipe fail with
 * EPIPE, which Node raises as an uncaught 'error' and a stack trace. Here such a stream is just dropped;
 * a run goes on to its end (stopping a migration half-way because a pager closed would be worse), and
 * every event is still in the run's log file. Other stream errors stay fatal.
 */
export function survivePipeClosing(stream: NodeJS.WriteStream): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") return;
    throw error;
  });
}
