import { delegatingHost } from "../../src/hosts/delegating-host.js";
import type { Host } from "../../src/hosts/host.js";

/** One read a probe asked, and the turn it was answered in (1 = the first wait). */
export interface AskedRead {
  turn: number;
  what: string;
}

/**
 * `host` answering as the dry run's batching SSH host does: every read asked in one turn of the event loop is
 * answered together, one turn later. Each turn stands for one round trip, so the highest turn a probe reached
 * is how many round trips its dependent reads cost, whatever the fake host's own speed.
 */
export function turnCountingHost(host: Host): { host: Host; asked: AskedRead[] } {
  const asked: AskedRead[] = [];
  let turn = 0;
  let waiting: Array<() => void> = [];
  const answeredNextTurn = <T>(what: string, read: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      waiting.push(() => {
        asked.push({ turn, what });
        read().then(resolve, reject);
      });
      if (waiting.length === 1)
        setImmediate(() => {
          turn++;
          const now = waiting;
          waiting = [];
          for (const answer of now) answer();
        });
    });
  return {
    host: delegatingHost(host, {
      exec: (command, options) => answeredNextTurn(`exec ${command}`, () => host.exec(command, options)),
      readFile: (path) => answeredNextTurn(`read ${path}`, () => host.readFile(path)),
      stat: (path) => answeredNextTurn(`stat ${path}`, () => host.stat(path)),
    }),
    asked,
  };
}
