import type { ExecResult } from "./host.js";

/**
 * Why a command failed, for a message: "exit 1: its last stderr lines | joined", or "exit 1, nothing on stderr"
 * (a tool that fails silently left messages ending in ": ", found by a new-user trial).
 */
export function failureText(result: Pick<ExecResult, "code" | "stderr">, lines = 2): string {
  const tail = result.stderr.trim().split("\n").slice(-lines).join(" | ");
  return tail ? `exit ${result.code}: ${tail}` : `exit ${result.code}, nothing on stderr`;
}

/**
 * For a message that names the command itself: "exited N: all of its stderr", or "exited N, nothing on
 * stderr" instead of a message ending in ": ".
 */
export function exitedWith(result: Pick<ExecResult, "code" | "stderr">): string {
  const said = result.stderr.trim();
  return said ? `exited ${result.code}: ${said}` : `exited ${result.code}, nothing on stderr`;
}
