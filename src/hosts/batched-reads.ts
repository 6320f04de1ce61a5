import type { Readable } from "node:stream";

/**
 * A read of at least this many bytes means the writer is fast enough to fill its stdout in a pause: the next
 * read comes at once, so it is not left blocked. A child's stdout is a socketpair in node, charged about
 * 1 KiB per small write: 200 records of 75 bytes (15 KiB) can fill it, far below its 208 KiB.
 */
const FAST_WRITER_BYTES = 8 * 1024;

/** The parts of a child's stdout pipe handle (node's internal Pipe) that start and stop reading it. */
interface PipeHandle {
  reading: boolean;
  readStart(): number;
  readStop(): number;
}

/**
 * Reads `stream` (a child process's stdout pipe) at most once every `everyMs`: after each chunk, reading
 * stops for `everyMs`, and what the command wrote meanwhile waits in the pipe and arrives as one chunk.
 * rsync's progress2 writes (and flushes) a record per file copied: read as they come, that is a wake-up of
 * this process per file, which on a machine whose cores rsync and ssh already keep busy costs the copy wall
 * time (bench/copy-overhead.ts). Every byte still arrives, in order, at most `everyMs` late.
 *
 * node has no public way to stop reading a pipe (pause() keeps reading until its buffer is full), so this uses
 * the pipe handle's readStop/readStart, as net.Socket itself does; a stream without them is read as usual.
 * `reading` stays true while stopped, so the stream's own read request does not start it again early.
 * Returns `flush`: read on at once and stop batching (the command exited, or is being stopped: its last
 * output and the pipe's end must not wait).
 */
export function readInBatches(stream: Readable, everyMs: number): () => void {
  const handle = (stream as unknown as { _handle?: Partial<PipeHandle> | null })._handle;
  if (!handle || typeof handle.readStop !== "function" || typeof handle.readStart !== "function") return () => {};
  const pipe = handle as PipeHandle;
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const resume = (): void => {
    timer = undefined;
    // Closed meanwhile (the stream ended or was destroyed): its handle is gone or no longer ours to start.
    if (stream.destroyed || (stream as unknown as { _handle?: unknown })._handle !== pipe) return;
    // Not reading: the stream stopped it itself (its buffer full) and starts it again when read. Its return
    // value is ignored: already reading is no error here.
    if (pipe.reading) pipe.readStart();
  };
  const onData = (chunk: Buffer): void => {
    if (done || timer || chunk.length >= FAST_WRITER_BYTES || !pipe.reading) return;
    pipe.readStop();
    timer = setTimeout(resume, everyMs);
  };
  stream.on("data", onData);
  return () => {
    if (done) return;
    done = true;
    stream.off("data", onData);
    if (timer) {
      clearTimeout(timer);
      resume();
    }
  };
}
