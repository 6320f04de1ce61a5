import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * Forwards TCP connections on listenAddress:listenPort to toAddress:toPort: the variant VM's sshd
 * reached at the same ports as QEMU's hostfwd gives the default VM, so plans and known_hosts stay the
 * same. A connection the VM refuses (it is rebooting) is closed at once, as hostfwd does.
 */
export async function forwardTcp(
  listenAddress: string,
  listenPort: number,
  toAddress: string,
  toPort: number,
): Promise<{ close: () => Promise<void> }> {
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(toPort, toAddress);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on("close", () => open.delete(socket));
    }
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenPort, listenAddress, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
