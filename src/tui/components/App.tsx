import { Box, Text, useInput } from "ink";
import { useEffect, useState, useSyncExternalStore } from "react";
import { planLayout } from "../layout.js";
import { endLines, gateLines, panelRows, type PanelLine } from "../panels.js";
import type { TuiStore } from "../store.js";
import { useTheme } from "../theme.js";
import { Header } from "./Header.js";
import { Panel } from "./Panel.js";
import { StepList } from "./StepList.js";

export interface AppProps {
  store: TuiStore;
  /** q / Ctrl-C: the runner stops the step and runs compensations. */
  onAbort: () => void;
  columns: number;
  rows: number;
  clock?: () => number;
  /** Whether keys can be read (stdin is a TTY). */
  inputActive?: boolean;
  tickMs?: number;
}

/** The whole screen: header, step list with the current step expanded, then a gate / end panel. */
export function App({ store, onAbort, columns, rows, clock = Date.now, inputActive = true, tickMs = 1000 }: AppProps) {
  const theme = useTheme();
  const { model, prompt } = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const [nowMs, setNow] = useState(clock());
  const width = Math.max(40, columns - 1);

  // The clock ticks once a second while running; never while a question waits (a still screen).
  useEffect(() => {
    setNow(clock());
    if (model.end || prompt || tickMs <= 0) return;
    const timer = setInterval(() => setNow(clock()), tickMs);
    return () => clearInterval(timer);
  }, [model.end, prompt, clock, tickMs, model.steps]);

  useInput(
    (input, key) => {
      if (model.end) return;
      if (input === "q" || (key.ctrl && input === "c")) {
        if (!model.aborting) {
          store.setAborting();
          onAbort();
        }
        prompt?.answer(false);
        return;
      }
      if (!prompt) return;
      if (input === "y" || input === "Y") prompt.answer(true);
      else if (key.return || key.escape || input === "n" || input === "N") prompt.answer(false);
    },
    { isActive: inputActive },
  );

  let panel: PanelLine[] = [];
  const current = model.steps.findIndex((s) => s.id === model.currentId);
  const currentStep = model.steps[current];
  if (model.end) {
    panel = endLines(model, 5);
    // Tall end panels drop output lines first: the resume command must stay on screen.
    if (panelRows(panel, width) > rows - 8) panel = endLines(model, 2);
  } else if (prompt) panel = gateLines(prompt);
  else if (model.aborting) panel = [{ text: "Stopping safely: finishing the current command, then undoing what must be undone…", bold: true, color: "yellow" }];

  const layout = planLayout({
    rows,
    columns: width,
    stepCount: model.steps.length,
    currentIndex: current,
    panelRows: panel.length > 0 ? panelRows(panel, width) + 1 : 0,
    hasProgress: !model.end && !prompt && currentStep?.status === "running" && currentStep.progress !== undefined,
    outputAvailable: !model.end && !prompt && currentStep?.status === "running" ? currentStep.output.length : 0,
  });

  const hint = model.end ? "" : prompt ? "y = run it · Enter = no · q = abort" : model.aborting ? "stopping…" : "q = abort safely (undoes what it must)";
  return (
    <Box flexDirection="column" width={width}>
      <Header model={model} nowMs={nowMs} columns={width} />
      <StepList steps={model.steps} rows={layout.stepRows} currentId={model.currentId} outputLines={layout.outputLines} nowMs={nowMs} width={width} expand={!model.end && !prompt} />
      {panel.length > 0 ? (
        <Box marginTop={1}>
          <Panel lines={panel} width={width} />
        </Box>
      ) : null}
      {hint ? <Text dimColor={theme.dim}>{hint}</Text> : null}
    </Box>
  );
}
