import { cmd } from "../hosts/quote.js";
import { createConnection, type Socket } from "node:net";
import { BlockedError, fileErrorText } from "../errors.js";

/** One message from QEMU: a command's answer, an error, or an asynchronous event. */
interface QmpMessage {
  QMP?: { version?: { qemu?: { major: number; minor: number; micro: number } } };
  return?: unknown;
  error?: { class: string; desc: string };
  event?: string;
  data?: Record<string, unknown>;
  id?: string;
}

export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    desc: string,
  ) {
    super(`QMP ${command}: ${desc} (${errorClass})`);
    this.name = "QmpError";
  }
}

/** A job as query-jobs reports it. */
export interface QmpJob {
  id: string;
  type: string;
  status: string;
  error?: string;
}

/**
 * A minimal QMP client over QEMU's unix socket: JSON objects one per line, a greeting, capabilities
 * negotiation, then commands answered in order (each tagged with an id so events between are told apart).
 */
export class QmpClient {
  private buffer = "";
  private nextId = 1;
  private readonly waiting = new Map<
    string,
    { resolve: (value: unknown) => void; reject: (error: Error) => void; command: string }
  >();
  private readonly eventListeners = new Set<(message: QmpMessage) => void>();
  private closedError: Error | undefined;
  version: { major: number; minor: number; micro: number } | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.onData(chunk));
    socket.on("close", () => this.fail(new Error("the QMP socket closed")));
    socket.on("error", (error) => this.fail(error));
  }

  /** Connects, reads the greeting and leaves capabilities negotiation mode. */
  static async connect(path: string, timeoutMs = 10_000): Promise<QmpClient> {
    const socket = createConnection(path);
    const client = new QmpClient(socket);
    const greeting = new Promise<QmpMessage>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new BlockedError(`no QMP greeting on ${path} within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      client.greeted = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
      socket.once("error", (error) => {
        clearTimeout(timer);
        // Like an SSH host that cannot be reached: the VM must be started (or the plan's socket fixed) first.
        reject(new BlockedError(`cannot connect to the QMP socket ${path}: ${qmpSocketErrorText(error, path)}`));
      });
    });
    try {
      const hello = await greeting;
      client.version = hello.QMP?.version?.qemu;
      await client.execute("qmp_capabilities");
      return client;
    } catch (error) {
      socket.destroy();
      throw error;
    }
  }

  private greeted: ((message: QmpMessage) => void) | undefined;

  async execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closedError) throw this.closedError;
    const id = `mudanza-${this.nextId++}`;
    const answer = new Promise<unknown>((resolve, reject) => this.waiting.set(id, { resolve, reject, command }));
    this.socket.write(JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id }) + "\n");
    return (await answer) as T;
  }

  /** Calls `listener` for every event until the returned function is called. */
  onEvent(listener: (event: string, data: Record<string, unknown>) => void): () => void {
    const wrapped = (message: QmpMessage): void => listener(message.event ?? "", message.data ?? {});
    this.eventListeners.add(wrapped);
    return () => this.eventListeners.delete(wrapped);
  }

  /**
   * Runs a job-based command (snapshot-save/-load/-delete) and waits until the job concludes; the job is
   * then dismissed. Throws with QEMU's own error text when the job ended in error.
   */
  async runJob(
    command: string,
    args: Record<string, unknown> & { "job-id": string },
    timeoutMs: number,
  ): Promise<void> {
    const jobId = args["job-id"];
    let concluded!: () => void;
    const done = new Promise<void>((resolve) => (concluded = resolve));
    const stop = this.onEvent((event, data) => {
      if (event === "JOB_STATUS_CHANGE" && data.id === jobId && data.status === "concluded") concluded();
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.execute(command, args);
      // The event may have come before execute's answer was read: query-jobs settles it either way.
      const timeout = new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(
            () =>
              reject(new Error(`${command} job ${jobId} did not conclude within ${Math.round(timeoutMs / 1000)} s`)),
            timeoutMs,
          )),
      );
      if ((await this.job(jobId))?.status !== "concluded") await Promise.race([done, timeout]);
      const job = await this.job(jobId);
      await this.execute("job-dismiss", { id: jobId });
      if (job?.error) throw new QmpError(command, "JobError", job.error);
    } finally {
      clearTimeout(timer);
      stop();
    }
  }

  async job(id: string): Promise<QmpJob | undefined> {
    const jobs = await this.execute<QmpJob[]>("query-jobs");
    return jobs.find((j) => j.id === id);
  }

  async close(): Promise<void> {
    this.closedError ??= new Error("the QMP client was closed");
    await new Promise<void>((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once("close", () => resolve());
      this.socket.end();
      this.socket.destroy();
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line) this.onMessage(JSON.parse(line) as QmpMessage);
    }
  }

  private onMessage(message: QmpMessage): void {
    if (message.QMP) return this.greeted?.(message);
    if (message.event) {
      for (const listener of this.eventListeners) listener(message);
      return;
    }
    const pending = message.id ? this.waiting.get(message.id) : undefined;
    if (!pending || !message.id) return;
    this.waiting.delete(message.id);
    if (message.error) pending.reject(new QmpError(pending.command, message.error.class, message.error.desc));
    else pending.resolve(message.return);
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    for (const pending of this.waiting.values()) pending.reject(error);
    this.waiting.clear();
  }
}

/** What a socket error means for a QEMU monitor socket, and what to check; the code last, for searching. */
function qmpSocketErrorText(error: NodeJS.ErrnoException, path: string): string {
  switch (error.code) {
    case "ENOENT":
      return `no such socket: is the VM running, started with ${cmd("-qmp", `unix:${path},server=on,wait=off`)}? Check the plan's checkpoints socket (ENOENT)`;
    case "ECONNREFUSED":
      return "nothing listens on it: the VM that made it has stopped; start it again (ECONNREFUSED)";
    case "ENOTSOCK":
      return "not a socket: check the plan's checkpoints socket (ENOTSOCK)";
    default:
      return fileErrorText(error);
  }
}
