import { errorMessage } from "../errors.js";
import type { Renderer } from "./renderer.js";

/** How long a renderer gets to flush and restore the terminal before the run's cleanup goes on without it. */
export const RENDERER_CLOSE_TIMEOUT_MS = 5_000;

/**
 * A renderer that cannot stop the run's cleanup: a throwing `sink` is switched off (its events still go to
 * the log), and `close` never throws and returns after `closeTimeoutMs` even if the renderer hangs.
 * The lock, the hosts and the report must not depend on how a face behaves.
 */
export function guardRenderer(
  inner: Renderer,
  complain: (line: string) => void,
  closeTimeoutMs = RENDERER_CLOSE_TIMEOUT_MS,
): Renderer {
  let broken = false;
  let closing: Promise<void> | undefined;
  return {
    sink(event) {
      if (broken) return;
      try {
        inner.sink(event);
      } catch (error) {
        broken = true;
        complain(
          `mudanza: the display failed and is switched off (the run goes on; the log has every event): ${errorMessage(error)}`,
        );
      }
    },
    confirm: inner.confirm,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          complain(`mudanza: the display did not close within ${closeTimeoutMs / 1000} s; going on without it`);
          resolve();
        }, closeTimeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          resolve();
        };
        Promise.resolve()
          .then(() => inner.close())
          .then(done, (error: unknown) => {
            complain(`mudanza: the display failed while closing: ${errorMessage(error)}`);
            done();
          });
      });
      return closing;
    },
  };
}
