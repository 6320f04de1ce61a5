import type { Host } from "./host.js";

/** The operations a wrapper may replace; identity (role, address, host key) always comes from the wrapped host. */
export type HostOperations = Pick<Host, "exec" | "readFile" | "writeFile" | "stat" | "reconnect" | "close">;

/**
 * `host` with some operations replaced (tracing, remembering reads): the rest pass through, and role,
 * address and hostKeyFingerprint are read from `host` each time (a reconnect may change the fingerprint).
 */
export function delegatingHost(host: Host, overrides: Partial<HostOperations>): Host {
  return {
    get role() {
      return host.role;
    },
    get address() {
      return host.address;
    },
    get hostKeyFingerprint() {
      return host.hostKeyFingerprint;
    },
    exec: (command, options) => host.exec(command, options),
    readFile: (path) => host.readFile(path),
    writeFile: (path, content, options) => host.writeFile(path, content, options),
    stat: (path) => host.stat(path),
    reconnect: (options) => host.reconnect(options),
    close: () => host.close(),
    ...overrides,
  };
}
