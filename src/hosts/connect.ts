import type { Endpoint } from "../plan/endpoint.js";
import type { Host } from "./host.js";
import { LocalHost } from "./local-host.js";
import { loadScriptedHost } from "./scripted-fixture.js";

/** Builds the Host for a plan endpoint; ssh2 is loaded only when an ssh endpoint needs it. */
export interface ConnectOptions {
  /** Trust only these host key fingerprints (SHA256:...) instead of known_hosts or the plan's pin. */
  acceptHostKeys?: string[];
  /** For a dry run (every command only reads): ssh commands asked together go as one script on one session. */
  batchCommands?: boolean;
  /** Ends an ssh connection still being made (Ctrl-C while a host does not answer). */
  signal?: AbortSignal;
}

export async function connectHost(endpoint: Endpoint, role: string, options: ConnectOptions = {}): Promise<Host> {
  switch (endpoint.transport) {
    case "local":
      return new LocalHost(role);
    case "scripted":
      return loadScriptedHost(endpoint.fixture!, role);
    case "ssh": {
      const { SshHost } = await import("./ssh/ssh-host.js");
      return SshHost.connect(endpoint, role, options);
    }
  }
}
