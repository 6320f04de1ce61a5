import { redactSecrets } from "../journal/secrets.js";
import { delegatingHost } from "./delegating-host.js";
import type { ExecOptions, Host } from "./host.js";

/**
 * --debug: the same host, every command and file access written to `trace` as it starts and ends.
 * Command lines go through redactSecrets; file contents and stdin are never traced (they may hold keys).
 */
function describeStdin(stdin: ExecOptions["stdin"]): string {
  if (stdin === undefined) return "";
  if (typeof stdin === "string") return `  (stdin: ${stdin.length} characters, not shown)`;
  return "  (stdin: given later, not shown)";
}

export function tracedHost(host: Host, trace: (line: string) => void): Host {
  const say = (text: string): void => trace(`${host.role}: ${redactSecrets(text)}`);
  return delegatingHost(host, {
    async exec(command: string, options?: ExecOptions) {
      const started = Date.now();
      say(`$ ${command}${describeStdin(options?.stdin)}`);
      try {
        const result = await host.exec(command, options);
        const how =
          result.silentMs !== undefined
            ? "stopped by the silence watchdog"
            : result.timedOut
              ? "timed out"
              : result.aborted
                ? "interrupted"
                : `exit ${result.code}`;
        say(`  ${how} after ${Date.now() - started} ms`);
        return result;
      } catch (error) {
        say(
          `  threw after ${Date.now() - started} ms: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        throw error;
      }
    },
    readFile(path) {
      say(`read ${path}`);
      return host.readFile(path);
    },
    writeFile(path, content, options) {
      say(
        `write ${path} (${content.length} characters${options?.mode !== undefined ? `, mode ${options.mode.toString(8)}` : ""}, not shown)`,
      );
      return host.writeFile(path, content, options);
    },
    stat(path) {
      say(`stat ${path}`);
      return host.stat(path);
    },
    reconnect(options) {
      say(`reconnect${options?.acceptHostKeys ? ` (accepting ${options.acceptHostKeys.join(", ")})` : ""}`);
      return host.reconnect(options);
    },
  });
}
