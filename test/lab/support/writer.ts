import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import type { LabSsh } from "../../../src/lab/ssh-client.js";
import { LAB_DB } from "../../../src/lab/recipe.js";

/**
 * A database client like an application's: one MariaDB session over SSH, one INSERT at a time; a row
 * counts as acknowledged only when the server answered for it. When the session dies (the database was
 * stopped for the freeze), the row in flight is "unknown" and the writer reconnects until stopped.
 */
export class DbWriter {
  readonly acked: Array<{ id: number; at: number }> = [];
  readonly unknown: number[] = [];
  sessions = 0;
  private nextId = 1_000_000;
  private stopped = false;
  private child: ChildProcessWithoutNullStreams | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly host: LabSsh,
    private readonly pauseMs = 150,
    /**
     * Short on purpose: an application reconnects at once, and each connect during the freeze is a chance
     * for a socket unit to start the database again. With a socket left listening the leak is certain.
     */
    private readonly reconnectMs = 100,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.child?.kill("SIGTERM");
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.session();
      if (!this.stopped) await new Promise((r) => setTimeout(r, this.reconnectMs));
    }
  }

  /** One session: insert until the connection breaks or stop() is called. */
  private session(): Promise<void> {
    return new Promise((resolve) => {
      this.sessions++;
      const child = spawn(
        "ssh",
        this.host.argv(`exec mariadb --batch --unbuffered --skip-column-names ${LAB_DB.database}`),
        { stdio: ["pipe", "pipe", "pipe"] },
      );
      this.child = child;
      let inFlight: number | undefined;
      let buffer = "";
      const send = () => {
        if (this.stopped) {
          child.stdin.end();
          return;
        }
        inFlight = this.nextId++;
        child.stdin.write(
          `INSERT INTO ${LAB_DB.table} (id, note) VALUES (${inFlight}, 'writer'); SELECT ${inFlight};\n`,
        );
      };
      child.stdout.on("data", (chunk: Buffer) => {
        buffer += chunk.toString("utf8");
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (inFlight !== undefined && line === String(inFlight)) {
            this.acked.push({ id: inFlight, at: Date.now() });
            inFlight = undefined;
            setTimeout(send, this.pauseMs);
          }
        }
      });
      child.stdin.on("error", () => undefined);
      child.on("close", () => {
        if (inFlight !== undefined) this.unknown.push(inFlight);
        resolve();
      });
      send();
    });
  }
}
