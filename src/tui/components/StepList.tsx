import { Box, Text } from "ink";
import { cleanLine, formatDuration } from "../../render/format.js";
import type { StepRow } from "../layout.js";
import type { StepView } from "../model.js";
import { STATUS_COLOR, STATUS_MARK, useTheme } from "../theme.js";
import { OutputTail } from "./OutputTail.js";
import { ProgressBar } from "./ProgressBar.js";

function stepNote(step: StepView, nowMs: number, asking: boolean): string {
  if (asking) return "waiting for your answer";
  if (step.checking) return "checking…";
  if (step.status === "running") {
    const since = step.startedAtMs !== undefined ? ` ${formatDuration(nowMs - step.startedAtMs)}` : "";
    return `${step.phase === "verify" ? "verifying" : step.phase === "probe" ? "checking" : "running"}${since}`;
  }
  if (step.durationMs !== undefined && step.status !== "pending") return formatDuration(step.durationMs);
  return "";
}

function StepLine({ step, nowMs, width, asking }: { step: StepView; nowMs: number; width: number; asking: boolean }) {
  const theme = useTheme();
  const note = stepNote(step, nowMs, asking);
  const running = step.status === "running" || step.checking === true;
  return (
    <Box width={width} justifyContent="space-between">
      <Box flexShrink={1}>
        <Text wrap="truncate-end">
          <Text color={theme.color(STATUS_COLOR[step.status])} bold={running}>
            {step.checking ? "…" : STATUS_MARK[step.status]}{" "}
          </Text>
          <Text bold={running}>{step.title}</Text>
          {step.destructive && step.status === "pending" ? (
            <Text color={theme.color("yellow")}> (asks first)</Text>
          ) : null}
          {step.status !== "running" && step.message && step.status !== "done" ? (
            <Text dimColor={theme.dim}> — {cleanLine(step.message.split("\n")[0] ?? "")}</Text>
          ) : null}
        </Text>
      </Box>
      <Box flexShrink={0} marginLeft={1}>
        <Text dimColor={theme.dim && !running}>{note}</Text>
      </Box>
    </Box>
  );
}

/** Every step with its mark and duration; the current one expanded with progress and its last lines. */
export function StepList(props: {
  steps: StepView[];
  rows: StepRow[];
  currentId?: string;
  outputLines: number;
  nowMs: number;
  width: number;
  expand: boolean;
  askingId?: string;
}) {
  const theme = useTheme();
  return (
    <Box flexDirection="column" width={props.width}>
      {props.rows.map((row) => {
        if (row.kind === "more") {
          return (
            <Text key={`more-${row.where}`} dimColor={theme.dim}>
              {"  "}… {row.count} more step{row.count === 1 ? "" : "s"} {row.where === "above" ? "above" : "below"}
            </Text>
          );
        }
        const step = props.steps[row.index];
        if (!step) return null;
        const expanded = props.expand && step.id === props.currentId && step.status === "running";
        return (
          <Box key={step.id} flexDirection="column">
            <StepLine step={step} nowMs={props.nowMs} width={props.width} asking={props.askingId === step.id} />
            {expanded && step.progress ? (
              <Box marginLeft={4}>
                <ProgressBar progress={step.progress} width={props.width - 4} />
              </Box>
            ) : null}
            {expanded ? (
              <Box marginLeft={2}>
                <OutputTail lines={step.output} max={props.outputLines} width={props.width - 2} />
              </Box>
            ) : null}
          </Box>
        );
      })}
    </Box>
  );
}
