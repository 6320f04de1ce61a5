import { Argument, type Command } from "commander";
import { examples } from "../examples.js";
import type { ExitSetter } from "../program.js";

export function registerCompletion(program: Command, setExit: ExitSetter): void {
  program
    .command("completion")
    .description("print a shell completion script: subcommands, flags, plan kinds, plan files")
    .addHelpText(
      "after",
      examples(
        "source <(mudanza completion bash)                      # this shell",
        "mudanza completion bash > /etc/bash_completion.d/mudanza  # every new shell",
        "source <(mudanza completion zsh)                       # zsh, after compinit",
      ),
    )
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh"]))
    .action(async (shell: "bash" | "zsh") => {
      const { completionScript } = await import("../completion/script.js");
      process.stdout.write(await completionScript(shell));
      setExit(0);
    });
}
