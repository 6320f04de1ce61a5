import { render } from "ink";
import type { Renderer } from "../render/renderer.js";
import { App } from "./components/App.js";
import { endCopyLines } from "./panels.js";
import { TuiStore } from "./store.js";
import { ThemeContext, makeTheme } from "./theme.js";

export interface InkRendererOptions {
  abort: (signal: "SIGINT" | "SIGTERM", key?: string) => void;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  env?: NodeJS.ProcessEnv;
}

/**
 * The interactive face: Ink draws at most 10 frames a second (rewriting only changed rows, for slow
 * terminals and serial consoles) from a store that publishes once per
 * frame, `confirm` answers gates (default no) and q / Ctrl-C call `abort("SIGINT", key)`.
 */
export function createInkRenderer(options: InkRendererOptions): Renderer {
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  const store = new TuiStore(100);
  const theme = makeTheme(options.env ?? process.env);
  const size = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const tree = () => (
    <ThemeContext.Provider value={theme}>
      <App
        store={store}
        onAbort={(key) => options.abort("SIGINT", key)}
        {...size()}
        inputActive={Boolean(stdin.isTTY)}
      />
    </ThemeContext.Provider>
  );
  const instance = render(tree(), { stdout, stdin, exitOnCtrlC: false, patchConsole: false, maxFps: 10 });
  const onResize = () => instance.rerender(tree());
  stdout.on("resize", onResize);
  let closed = false;

  return {
    sink: (event) => store.apply(event),
    confirm: (prompt) =>
      new Promise<boolean>((resolve) => {
        // Without a terminal on stdin no key can answer: the default answer (no) stands, and says why.
        if (!stdin.isTTY) {
          store.setNotice(
            `"${prompt.title}" needs a yes, but stdin is not a terminal: answered no. Run with --yes to accept gates.`,
          );
          resolve(false);
          return;
        }
        store.setPrompt({
          ...prompt,
          answer: (accepted) => {
            if (store.pendingPrompt?.stepId !== prompt.stepId) return;
            store.setPrompt(undefined);
            resolve(accepted);
          },
        });
      }),
    async close() {
      if (closed) return;
      closed = true;
      store.pendingPrompt?.answer(false);
      store.flush();
      stdout.off("resize", onResize);
      // Let React commit the last snapshot before Ink writes its final frame.
      await new Promise((r) => setTimeout(r, 20));
      // Stopped before the pipeline started (bad plan, unreachable host): leave no half-drawn screen behind.
      if (!store.getSnapshot().model.started) instance.clear();
      instance.unmount();
      await instance.waitUntilExit().catch(() => undefined);
      const end = store.getSnapshot().model.end;
      if (end)
        stdout.write(
          endCopyLines(end)
            .map((line) => `${line}\n`)
            .join(""),
        );
      store.dispose();
    },
  };
}
