import { execOk, type ExecResult } from "../../hosts/host.js";
import type { OvzContext } from "./plan.js";

/**
 * Runs a command that changes a host, showing it first ("$ command") and streaming its output, so the
 * log and the TUI tell exactly what ran where. Throws CommandFailedError on a non-zero exit.
 */
export async function runLogged(
  ctx: OvzContext,
  role: string,
  command: string,
  options: { timeoutMs?: number } = {},
): Promise<ExecResult> {
  ctx.output(role, `$ ${command}`);
  return execOk(ctx.host(role), command, {
    timeoutMs: options.timeoutMs,
    signal: ctx.signal,
    onStdout: (line) => ctx.output(role, line),
    onStderr: (line) => ctx.output(role, line, "stderr"),
  });
}
