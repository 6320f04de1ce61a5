import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { GatePrompt } from "../engine/runner.js";
import type { Renderer } from "./renderer.js";

/**
 * Gates asked as a plain line ("Run this step? [y/N]") read from `input`, for terminals that cannot draw
 * the TUI (TERM=dumb or unset, Emacs shells): the wrapped renderer has already printed the gate's commands.
 */
export function withLineConfirm(renderer: Renderer, input: Readable, output: Writable): Renderer {
  const lines = createInterface({ input, terminal: false });
  const pending: Array<(line: string) => void> = [];
  lines.on("line", (line) => pending.shift()?.(line));
  // stdin closed: nobody can answer, so every open and later question is a no.
  lines.on("close", () => {
    for (const answer of pending.splice(0)) answer("");
  });
  let closed = false;
  lines.on("close", () => (closed = true));
  return {
    sink: renderer.sink,
    async confirm(prompt: GatePrompt) {
      // The renderer prints the gate through promise chains: let them finish so the question comes last.
      await new Promise((resolve) => setImmediate(resolve));
      output.write(`Run "${prompt.title}"? [y/N] `);
      if (closed) {
        output.write("\n");
        return false;
      }
      const answer = await new Promise<string>((resolve) => pending.push(resolve));
      return /^y(es)?$/i.test(answer.trim());
    },
    async close() {
      lines.close();
      await renderer.close();
    },
  };
}
