import { Box, Text } from "ink";
import type { ProgressInfo } from "../../engine/events.js";
import { describeProgress, progressFraction, textBar } from "../../render/format.js";
import { useTheme } from "../theme.js";

/** A bar with percent, then bytes, rate, ETA and files: two rows. */
export function ProgressBar({ progress, width }: { progress: ProgressInfo; width: number }) {
  const theme = useTheme();
  const fraction = progressFraction(progress);
  const percent = fraction === undefined ? "  ?%" : `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const barWidth = Math.max(10, width - 6);
  return (
    <Box flexDirection="column">
      <Text>
        <Text color={theme.color("cyan")}>
          {fraction === undefined ? "·".repeat(barWidth) : textBar(fraction, barWidth)}
        </Text>{" "}
        {percent}
      </Text>
      <Text wrap="truncate-end">
        {progress.label ? `${progress.label}: ` : ""}
        {describeProgress(progress)}
      </Text>
    </Box>
  );
}
