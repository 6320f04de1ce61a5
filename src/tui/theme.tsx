import { createContext, useContext } from "react";
import type { StepStatus } from "../engine/events.js";

/** Colours go through here so NO_COLOR turns every one of them off (chalk alone does not honour it). */
export interface Theme {
  color(name?: string): string | undefined;
  /** Dim text is a colour effect too; NO_COLOR drops it. */
  dim: boolean;
}

export function makeTheme(env: NodeJS.ProcessEnv = process.env): Theme {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== "";
  return { color: (name) => (noColor || !name ? undefined : name), dim: !noColor };
}

export const ThemeContext = createContext<Theme>(makeTheme({}));
export const useTheme = (): Theme => useContext(ThemeContext);

/** Marks differ in shape, not only in colour, so they read without colour. */
export const STATUS_MARK: Record<StepStatus, string> = {
  pending: "○",
  running: "▶",
  done: "✔",
  skipped: "↷",
  failed: "✖",
  blocked: "⊘",
};

export const STATUS_COLOR: Record<StepStatus, string | undefined> = {
  pending: undefined,
  running: "cyan",
  done: "green",
  skipped: "gray",
  failed: "red",
  blocked: "red",
};
