import { Box, Text, useInput } from "ink";
import { useEffect, useState, useSyncExternalStore } from "react";
import { planLayout } from "../layout.js";
import { warningsOf } from "../model.js";
import { endCopyLines, endLines, GATE_QUESTION, gateLines, panelRows, toRows, type PanelLine } from "../panels.js";
import type { TuiStore } from "../store.js";
import { useTheme } from "../theme.js";
import { Header } from "./Header.js";
import { Panel } from "./Panel.js";
import { StepList } from "./StepList.js";

export interface AppProps {
  store: TuiStore;
  /** q / Ctrl-C: the runner stops the step and runs compensations. */
  /** `key`: what stopped the run (q or Ctrl-C), for the messages. */
  onAbort: (key: "q" | "Ctrl-C") => void;
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
  const [gateOffset, setGateOffset] = useState(0);
  // f: every command of the gate whole, instead of each long one once (the others shortened).
  const [wholeCommands, setWholeCommands] = useState(false);
  const width = Math.max(40, columns - 1);
  useEffect(() => {
    setGateOffset(0);
    setWholeCommands(false);
  }, [prompt?.stepId]);

  // A gate taller than the screen scrolls inside its panel: the header and the question stay visible.
  const gateStep = prompt ? model.steps.find((s) => s.id === prompt.stepId) : undefined;
  const othersWarnings =
    prompt && prompt.stepId === model.firstGateId
      ? warningsOf(model).filter((f) => !gateStep?.findings.includes(f))
      : [];
  const gateBody = prompt ? toRows(gateLines(prompt, gateStep?.findings, othersWarnings, wholeCommands), width) : [];
  const gateBudget = Math.max(3, rows - 1 - 3 - 1 - 1 - 1 - Math.min(3, model.steps.length));
  const gateScrolls = gateBody.length > gateBudget;
  const gatePage = Math.max(1, gateBudget - 2);
  const maxGateOffset = Math.max(0, gateBody.length - (gateBudget - 1));

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
          onAbort(input === "q" ? "q" : "Ctrl-C");
        }
        prompt?.answer(false);
        return;
      }
      if (!prompt) return;
      const scroll = key.downArrow
        ? 1
        : key.upArrow
          ? -1
          : key.pageDown || input === " "
            ? gatePage
            : key.pageUp
              ? -gatePage
              : 0;
      if (input === "f" || input === "F") {
        setWholeCommands((whole) => !whole);
        return;
      }
      if (scroll !== 0) {
        setGateOffset((o) => Math.min(maxGateOffset, Math.max(0, o + scroll)));
        return;
      }
      if (input === "y" || input === "Y") prompt.answer(true);
      else if (key.return || key.escape || input === "n" || input === "N") prompt.answer(false);
    },
    { isActive: inputActive },
  );

  let panel: PanelLine[] = [];
  const current = model.steps.findIndex((s) => s.id === model.currentId);
  const currentStep = model.steps[current];
  // The end's paths and resume command follow the last frame as plain lines (ink-renderer.tsx), then the
  // shell's prompt: room for them, so the frame's top stays on screen.
  const tailRows = model.end
    ? endCopyLines(model.end).reduce((sum, line) => sum + Math.max(1, Math.ceil([...line].length / width)), 1)
    : 0;
  if (model.end) {
    panel = endLines(model, 5);
    // Tall end panels drop output lines first, then warning details: the resume command must stay on screen.
    if (panelRows(panel, width) + tailRows > rows - 8) panel = endLines(model, 2);
    if (panelRows(panel, width) + tailRows > rows - 8) panel = endLines(model, 2, false);
    if (panelRows(panel, width) + tailRows > rows - 8) panel = endLines(model, 0, false);
  } else if (prompt) {
    if (!gateScrolls) panel = [...gateBody, GATE_QUESTION];
    else {
      const offset = Math.min(gateOffset, maxGateOffset);
      const visible = gateBody.slice(offset, offset + gateBudget - 1);
      const more = `── rows ${offset + 1}-${offset + visible.length} of ${gateBody.length}${offset + visible.length < gateBody.length ? ", more below" : ""}: ↑/↓ PgUp/PgDn scroll ──`;
      panel = [...visible, { text: more, dim: true, truncate: true }, GATE_QUESTION];
    }
  } else if (model.aborting)
    panel = [
      {
        text: "Stopping safely: finishing the current command, then undoing what must be undone…",
        bold: true,
        color: "yellow",
      },
    ];

  const layout = planLayout({
    rows,
    columns: width,
    stepCount: model.steps.length,
    currentIndex: current,
    panelRows: (panel.length > 0 ? panelRows(panel, width) + 1 : 0) + tailRows,
    hasProgress: !model.end && !prompt && currentStep?.status === "running" && currentStep.progress !== undefined,
    outputAvailable: !model.end && !prompt && currentStep?.status === "running" ? currentStep.output.length : 0,
  });

  const hint = model.end
    ? ""
    : prompt
      ? `y = run it · Enter = no · q = abort${gateScrolls ? " · ↑/↓ scroll" : ""} · f = ${wholeCommands ? "shortened" : "whole"} commands`
      : model.aborting
        ? "stopping…"
        : "q = abort safely (undoes what it must)";
  return (
    <Box flexDirection="column" width={width}>
      <Header model={model} nowMs={nowMs} columns={width} asking={prompt !== undefined} />
      <StepList
        steps={model.steps}
        rows={layout.stepRows}
        currentId={model.currentId}
        outputLines={layout.outputLines}
        nowMs={nowMs}
        width={width}
        expand={!model.end && !prompt}
        askingId={prompt?.stepId}
      />
      {panel.length > 0 ? (
        <Box marginTop={1}>
          <Panel lines={panel} width={width} />
        </Box>
      ) : null}
      {hint ? <Text dimColor={theme.dim}>{hint}</Text> : null}
    </Box>
  );
}
