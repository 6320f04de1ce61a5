import { render } from "ink-testing-library";
import type { PipelineEvent } from "../../src/engine/events.js";
import { App } from "../../src/tui/components/App.js";
import { TuiStore } from "../../src/tui/store.js";
import { ThemeContext, makeTheme } from "../../src/tui/theme.js";
import { T0 } from "./events.js";

/** Mounts the TUI at 80x24 with a frozen clock; returns the store and the screen. */
export function mountApp(opts: { columns?: number; rows?: number; nowSec?: number; env?: NodeJS.ProcessEnv } = {}) {
  const store = new TuiStore(50, () => T0);
  const aborts: string[] = [];
  const clock = () => T0 + (opts.nowSec ?? 10) * 1000;
  const ui = render(
    <ThemeContext.Provider value={makeTheme(opts.env ?? { NO_COLOR: "1" })}>
      <App
        store={store}
        onAbort={(key) => aborts.push(key)}
        columns={opts.columns ?? 80}
        rows={opts.rows ?? 24}
        clock={clock}
        tickMs={0}
      />
    </ThemeContext.Provider>,
  );
  const feed = async (events: PipelineEvent[]) => {
    for (const e of events) store.apply(e);
    store.flush();
    await tick();
  };
  return { store, ui, aborts, feed, frame: () => ui.lastFrame() ?? "" };
}

export const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));
