import { Box, Text } from "ink";
import type { OutputLine } from "../model.js";
import { useTheme } from "../theme.js";

/** The last lines a step printed, one row each (long lines are cut, the log has them whole). */
export function OutputTail({ lines, max, width }: { lines: OutputLine[]; max: number; width: number }) {
  const theme = useTheme();
  if (max <= 0 || lines.length === 0) return null;
  return (
    <Box flexDirection="column" width={width}>
      {lines.slice(-max).map((l, i) => (
        <Text
          key={i}
          wrap="truncate-end"
          color={l.stream === "stderr" ? theme.color("yellow") : undefined}
          dimColor={l.stream === "stdout" && theme.dim}
        >
          │ {l.host}: {l.line}
        </Text>
      ))}
    </Box>
  );
}
