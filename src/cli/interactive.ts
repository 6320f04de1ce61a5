/**
 * "Interactive" is decided here and only here: an explicit flag wins, otherwise interactive means
 * not CI and stdout is a TTY.
 */
export function resolveInteractive(
  options: { yes?: boolean; json?: boolean; dryRun?: boolean },
  env = process.env,
  stdoutIsTTY = Boolean(process.stdout.isTTY),
): boolean {
  if (options.yes || options.json || options.dryRun) return false;
  if (env.CI && env.CI !== "false" && env.CI !== "0") return false;
  return stdoutIsTTY;
}
