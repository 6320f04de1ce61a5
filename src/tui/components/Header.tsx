import { Box, Text } from "ink";
import { formatClock } from "../../render/format.js";
import type { TuiModel } from "../model.js";
import { useTheme } from "../theme.js";

/** Pipeline kind, source → target, elapsed time: two rows and a rule. */
export function Header({
  model,
  nowMs,
  columns,
  asking,
}: {
  model: TuiModel;
  nowMs: number;
  columns: number;
  asking?: boolean;
}) {
  const theme = useTheme();
  const elapsed = formatClock((model.end?.atMs ?? nowMs) - model.startedAtMs);
  const route = routeOf(model.hosts);
  const stage = model.end
    ? model.end.status
    : asking
      ? "waiting for you"
      : model.aborting
        ? "stopping"
        : model.preflight
          ? "checking"
          : model.mode === "yes"
            ? "running (--yes)"
            : "running";
  return (
    <Box flexDirection="column" width={columns}>
      <Box justifyContent="space-between">
        <Text bold color={theme.color("cyan")} wrap="truncate-end">
          {model.title || "mudanza"}
          {model.kind ? ` (${model.kind})` : ""}
          {model.resumed ? " · resumed" : ""}
        </Text>
        <Text>
          {stage} {elapsed}
        </Text>
      </Box>
      <Text wrap="truncate-middle">{route}</Text>
      <Text dimColor={theme.dim}>{"─".repeat(Math.max(10, columns))}</Text>
    </Box>
  );
}

/**
 * "source → target" for a migration; a command on other hosts (host doctor's local machine, an image's KVM
 * host) names them by role, instead of "? → ?" (found by a new-user trial).
 */
export function routeOf(hosts: Record<string, string>): string {
  if (Object.keys(hosts).length === 0) return "connecting…";
  if (hosts.source !== undefined || hosts.target !== undefined)
    return `${hosts.source ?? "?"} → ${hosts.target ?? "?"}`;
  return Object.entries(hosts)
    .map(([role, address]) => (role === address ? "this machine" : `${role}: ${address}`))
    .join(", ");
}
