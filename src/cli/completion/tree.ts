import type { Argument, Command, Option } from "commander";

/** What a word after a flag or in an argument's place completes to. */
export type Completes =
  { kind: "file"; extensions?: string[] } | { kind: "dir" } | { kind: "words"; words: string[] } | { kind: "none" };

export interface CommandNode {
  /** "mudanza", "mudanza image", "mudanza image sparsify". */
  path: string;
  subcommands: string[];
  /** Every flag spelling, short and long, --help included. */
  flags: string[];
  /** Flags that take a value, with what it completes to. */
  valueFlags: Record<string, Completes>;
  /** The positional arguments in order; the last one repeats when variadic. */
  args: Completes[];
}

const PLAN_EXTENSIONS = ["yaml", "yml"];

/** From a flag's placeholder (`<file>`, `<dir>`) or its choices: what its value completes to. */
function valueCompletes(option: Option): Completes {
  if (option.argChoices) return { kind: "words", words: option.argChoices };
  const placeholder = /<([^>]+)>|\[([^\]]+)\]/.exec(option.flags);
  const name = (placeholder?.[1] ?? placeholder?.[2] ?? "").toLowerCase();
  if (name === "dir") return { kind: "dir" };
  if (name === "file") return { kind: "file" };
  return { kind: "none" };
}

function argumentCompletes(argument: Argument): Completes {
  if (argument.argChoices) return { kind: "words", words: argument.argChoices };
  const name = argument.name();
  if (name.startsWith("plan")) return { kind: "file", extensions: PLAN_EXTENSIONS };
  if (["disk", "base", "file"].includes(name)) return { kind: "file" };
  return { kind: "none" };
}

/**
 * The command tree as completion needs it, read from commander itself so a new subcommand or flag
 * completes without touching the scripts. `global` are the root's flags every subcommand accepts too.
 */
export function commandTree(program: Command): CommandNode[] {
  const globalOptions = program.options.filter((o) => !o.hidden && o.flags !== "-V, --version");
  const nodes: CommandNode[] = [];
  const walk = (command: Command, path: string, inherited: readonly Option[]): void => {
    const options = [
      ...command.options.filter((o) => !o.hidden),
      ...inherited.filter((g) => !command.options.includes(g)),
    ];
    const flags = [
      ...new Set([...options.flatMap((o) => [o.short, o.long].filter((f): f is string => Boolean(f))), "-h", "--help"]),
    ];
    const valueFlags: Record<string, Completes> = {};
    for (const o of options.filter((x) => x.required || x.optional))
      for (const f of [o.short, o.long]) if (f) valueFlags[f] = valueCompletes(o);
    const subcommands = command.commands
      .filter((c) => !(c as Command & { _hidden?: boolean })._hidden)
      .map((c) => c.name());
    nodes.push({ path, subcommands, flags, valueFlags, args: command.registeredArguments.map(argumentCompletes) });
    for (const sub of command.commands) walk(sub, `${path} ${sub.name()}`, globalOptions);
  };
  walk(program, program.name(), []);
  return nodes;
}
