import { PLAN_KINDS } from "../commands/plan.js";
import { buildProgram } from "../program.js";
import { bashCompletion } from "./bash.js";
import { commandTree } from "./tree.js";
import { zshCompletion } from "./zsh.js";

/** The script for a shell, from a fresh command tree with every plan kind's flags in it (they are added lazily otherwise). */
export async function completionScript(shell: "bash" | "zsh"): Promise<string> {
  const program = buildProgram(() => undefined);
  const plan = program.commands.find((c) => c.name() === "plan");
  const { configureKindCommand } = await import("../commands/plan-kind.js");
  for (const kind of PLAN_KINDS) {
    const sub = plan?.commands.find((c) => c.name() === kind);
    if (sub) configureKindCommand(sub, kind, () => undefined);
  }
  const bash = bashCompletion(commandTree(program));
  return shell === "bash" ? bash : zshCompletion(bash);
}
