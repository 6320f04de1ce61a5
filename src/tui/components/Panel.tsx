import { Box, Text } from "ink";
import { toRows, type PanelLine } from "../panels.js";
import { useTheme } from "../theme.js";

/** Renders precomputed panel lines (their height was already counted by the layout). */
export function Panel({ lines, width }: { lines: PanelLine[]; width: number }) {
  const theme = useTheme();
  return (
    <Box flexDirection="column" width={width}>
      {toRows(lines, width).map((l, i) => (
        <Text key={i} color={theme.color(l.color)} bold={l.bold} dimColor={l.dim && theme.dim} wrap="truncate-end">
          {l.text}
        </Text>
      ))}
    </Box>
  );
}
