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
  const route =
    Object.keys(model.hosts).length > 0 ? `${model.hosts.source ?? "?"} → ${model.hosts.target ?? "?"}` : "connecting…";
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
