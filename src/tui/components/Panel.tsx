import { Box, Text } from "ink";
import type { PanelLine } from "../panels.js";
import { useTheme } from "../theme.js";

/** Renders precomputed panel lines (their height was already counted by the layout). */
export function Panel({ lines, width }: { lines: PanelLine[]; width: number }) {
  const theme = useTheme();
  return (
    <Box flexDirection="column" width={width}>
      {lines.map((l, i) => (
        <Text key={i} color={theme.color(l.color)} bold={l.bold} wrap={l.truncate ? "truncate-end" : "wrap"}>
          {l.text}
        </Text>
      ))}
    </Box>
  );
}
