import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Client } from "ssh2";
import { SshHost } from "../src/hosts/ssh/ssh-host.js";
import { endpointSchema } from "../src/plan/endpoint.js";
import { startSshd } from "../test/support/sshd.js";
import { pairedRow } from "./measure.js";
import type { Benchmark } from "./types.js";

/** Commands per round: one after another, as a probe's dependent reads go. */
const COMMANDS_PER_ROUND = 20;
/** Without Nagle's delay a round trip is a few ms; with it, at least the peer's 40 ms delayed ACK. */
const TARGET = 0.5;

/**
 * A no-op command's round trip in the dry run's kept shell, over loopback ssh: SshHost as the CLI connects it
 * against the same connection with Nagle's algorithm left on (how it connected before), in the same rounds.
 * A dry run's probes wait on ~70 such round trips, many one after another.
 */
export const roundTrip: Benchmark = {
  name: "round-trip",
  description: "a no-op command's round trip in a dry run's kept shell, vs the same with Nagle's algorithm on",
  async run({ runs, scratch, log }) {
    const sshd = await startSshd({ hostKeyTypes: ["ed25519"] });
    const hosts: SshHost[] = [];
    try {
      const knownHostsFile = join(scratch, "known_hosts");
      await writeFile(knownHostsFile, `${sshd.knownHostsLine()}\n`, { mode: 0o600 });
      const endpoint = endpointSchema.parse({
        host: "127.0.0.1",
        port: sshd.port,
        user: "root",
        identityFile: sshd.userKey,
        knownHostsFile,
      });
      const connect = () => SshHost.connect(endpoint, "bench", { batchCommands: true });
      const asShipped = await connect();
      hosts.push(asShipped);
      // The baseline: the same connection, but setNoDelay(true) (open-client.ts) does nothing while it connects.
      const setNoDelay = Object.getOwnPropertyDescriptor(Client.prototype, "setNoDelay")!;
      Client.prototype.setNoDelay = function keepNagle(this: Client) {
        return this;
      };
      let withNagle: SshHost;
      try {
        withNagle = await connect();
      } finally {
        Object.defineProperty(Client.prototype, "setNoDelay", setNoDelay);
      }
      hosts.push(withNagle);
      const perCommand = async (host: SshHost): Promise<number> => {
        const started = performance.now();
        for (let i = 0; i < COMMANDS_PER_ROUND; i++) await host.exec("true");
        return (performance.now() - started) / COMMANDS_PER_ROUND;
      };
      // warm both (each opens its kept shells on its first command); not counted
      await perCommand(asShipped);
      await perCommand(withNagle);
      log(`round-trip: ${runs} rounds of ${COMMANDS_PER_ROUND} no-op commands on each connection`);
      const own: number[] = [];
      const base: number[] = [];
      for (let round = 0; round < runs; round++) {
        own.push(await perCommand(asShipped));
        base.push(await perCommand(withNagle));
      }
      return [
        pairedRow(
          {
            benchmark: "round-trip",
            case: "a no-op command in the dry run's kept shell (loopback ssh)",
            unit: "ms",
            baselineLabel: "the same with Nagle's algorithm on",
            target: TARGET,
            runs,
          },
          own,
          base,
        ),
      ];
    } finally {
      for (const host of hosts) await host.close();
      await sshd.stop();
    }
  },
};
