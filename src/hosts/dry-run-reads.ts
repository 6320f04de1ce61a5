import { delegatingHost } from "./delegating-host.js";
import { FileNotFoundError, type ExecOptions, type ExecResult, type FileStat, type Host } from "./host.js";

/**
 * A dry run changes nothing on its hosts, so within it the same read gives the same answer: each step's probe
 * reads the distribution, the network files and the like again (on the lab's VM 66 round trips, 0.2-0.9 s each,
 * many of them repeats). This host answers a repeated command, file read or stat from the first answer.
 * Only for the dry run: a real run changes its hosts between probes. Not kept: commands that stream lines to a
 * callback or watch for silence (their callbacks must see the output), failures (but an absent file is an
 * answer), timeouts and interruptions.
 */
export function rememberingReads(host: Host): Host {
  const execs = new Map<string, Promise<ExecResult>>();
  const files = new Map<string, Promise<string>>();
  const stats = new Map<string, Promise<FileStat | null>>();

  const remembered = <T>(
    cache: Map<string, Promise<T>>,
    key: string,
    read: () => Promise<T>,
    keep: (value: T) => boolean,
  ) => {
    const known = cache.get(key);
    if (known) return known;
    const answer = read();
    cache.set(key, answer);
    answer.then(
      (value) => {
        if (!keep(value)) cache.delete(key);
      },
      (error) => {
        // an absent file is an answer like any content (every probe's distro check asks for
        // /etc/redhat-release on Debian); other failures may pass
        if (!(error instanceof FileNotFoundError)) cache.delete(key);
      },
    );
    return answer;
  };

  return delegatingHost(host, {
    exec(command: string, options?: ExecOptions) {
      if (
        options?.onStdout ||
        options?.onStdoutText ||
        options?.onStderr ||
        options?.silenceTimeoutMs !== undefined ||
        options?.stillBusy ||
        typeof options?.stdin === "object"
      )
        return host.exec(command, options);
      const key = `${options?.stdoutTailChars ?? ""}\u0000${options?.stdin ?? ""}\u0000${command}`;
      return remembered(
        execs,
        key,
        () => host.exec(command, options),
        (result) => !result.timedOut && !result.aborted && result.silentMs === undefined,
      );
    },
    readFile: (path) =>
      remembered(
        files,
        path,
        () => host.readFile(path),
        () => true,
      ),
    stat: (path) =>
      remembered(
        stats,
        path,
        () => host.stat(path),
        () => true,
      ),
    reconnect(options) {
      // another connection may reach another machine (a rebooted one): nothing known is kept
      execs.clear();
      files.clear();
      stats.clear();
      return host.reconnect(options);
    },
  });
}
