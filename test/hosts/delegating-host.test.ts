import { describe, expect, it } from "vitest";
import { delegatingHost } from "../../src/hosts/delegating-host.js";
import type { ExecResult, Host } from "../../src/hosts/host.js";

const ok = (stdout: string): ExecResult => ({ code: 0, stdout, stderr: "" });

/** A host whose fingerprint changes on reconnect, as an SshHost's does when the target presents new keys. */
function reconnectingHost() {
  const calls: string[] = [];
  let fingerprint = "SHA256:first";
  const host: Host = {
    role: "target",
    address: "root@198.18.0.7:22",
    get hostKeyFingerprint() {
      return fingerprint;
    },
    exec: async (command) => (calls.push(`exec ${command}`), ok("inner\n")),
    readFile: async (path) => (calls.push(`read ${path}`), "content"),
    writeFile: async (path) => void calls.push(`write ${path}`),
    stat: async (path) => (calls.push(`stat ${path}`), null),
    reconnect: async () => {
      calls.push("reconnect");
      fingerprint = "SHA256:second";
    },
    close: async () => void calls.push("close"),
  };
  return { host, calls };
}

describe("delegatingHost", () => {
  it("passes what it does not replace to the wrapped host, and reads its identity from it each time", async () => {
    const { host, calls } = reconnectingHost();
    const wrapped = delegatingHost(host, { exec: async () => ok("replaced\n") });
    expect((await wrapped.exec("true")).stdout).toBe("replaced\n");
    expect(await wrapped.readFile("/etc/hostname")).toBe("content");
    await wrapped.writeFile("/etc/motd", "hi");
    expect(await wrapped.stat("/nowhere")).toBeNull();
    expect([wrapped.role, wrapped.address, wrapped.hostKeyFingerprint]).toEqual([
      "target",
      "root@198.18.0.7:22",
      "SHA256:first",
    ]);
    await wrapped.reconnect();
    expect(wrapped.hostKeyFingerprint).toBe("SHA256:second");
    await wrapped.close();
    expect(calls).toEqual(["read /etc/hostname", "write /etc/motd", "stat /nowhere", "reconnect", "close"]);
  });
});
