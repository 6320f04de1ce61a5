import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { LocalHost } from "../../src/hosts/local-host.js";
import { parseListeners, portsToCheck, tcpConnectCommand } from "../../src/vserver/listeners.js";

describe("listening TCP ports from ss", () => {
  it("reads iproute2's `ss -Hltn` (no header, bracketed IPv6, %interface)", () => {
    const out = [
      "LISTEN 0      4096   127.0.0.53%lo:53        0.0.0.0:*",
      "LISTEN 0      128          0.0.0.0:22        0.0.0.0:*",
      "LISTEN 0      80         127.0.0.1:3306      0.0.0.0:*",
      "LISTEN 0      511     198.18.10.21:443       0.0.0.0:*",
      "LISTEN 0      128             [::]:22           [::]:*",
      "LISTEN 0      511                *:80              *:*",
      "",
    ].join("\n");
    expect(parseListeners(out)).toEqual([
      { address: "127.0.0.53", port: 53 },
      { address: "0.0.0.0", port: 22 },
      { address: "127.0.0.1", port: 3306 },
      { address: "198.18.10.21", port: 443 },
      { address: "::", port: 22 },
      { address: "*", port: 80 },
    ]);
  });

  it("reads a recent ss's `ss -ltn` (its header has a Process column) as its rows alone", () => {
    const out = [
      "State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process",
      "LISTEN 0      128          0.0.0.0:22        0.0.0.0:*",
      "LISTEN 0      128             [::]:22           [::]:*",
      "",
    ].join("\n");
    expect(parseListeners(out)).toEqual([
      { address: "0.0.0.0", port: 22 },
      { address: "::", port: 22 },
    ]);
  });

  it("reads old ss's `ss -ltn` (header line, :::22 for the IPv6 wildcard)", () => {
    const out =
      "State      Recv-Q Send-Q        Local Address:Port          Peer Address:Port \nLISTEN     0      128                      :::22                      :::*     \nLISTEN     0      128                       *:22                       *:*     \n";
    expect(parseListeners(out)).toEqual([
      { address: "::", port: 22 },
      { address: "*", port: 22 },
    ]);
  });

  it("checks wildcards on every address of their family, specific addresses only there, loopback nowhere", () => {
    const listeners = parseListeners(
      "LISTEN 0 1 0.0.0.0:22 0.0.0.0:*\nLISTEN 0 1 127.0.0.1:3306 0.0.0.0:*\nLISTEN 0 1 198.18.10.22:443 0.0.0.0:*\nLISTEN 0 1 198.18.99.1:25 0.0.0.0:*\nLISTEN 0 1 [::]:80 [::]:*\n",
    );
    expect(portsToCheck(listeners, ["198.18.10.21", "198.18.10.22", "2001:db8::21"])).toEqual([
      { ip: "198.18.10.21", port: 22 },
      { ip: "198.18.10.22", port: 22 },
      { ip: "198.18.10.22", port: 443 },
      { ip: "198.18.10.21", port: 80 },
      { ip: "198.18.10.22", port: 80 },
      { ip: "2001:db8::21", port: 80 },
    ]);
  });
});

describe("TCP connect from the node (bash /dev/tcp)", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it("succeeds on a listening port and fails on a closed one", async () => {
    server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const host = new LocalHost("target");
    expect((await host.exec(tcpConnectCommand("127.0.0.1", port))).code).toBe(0);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    expect((await host.exec(tcpConnectCommand("127.0.0.1", port))).code).not.toBe(0);
  });
});
