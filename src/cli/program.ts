import { Command, CommanderError } from "commander";
import { BadInputError, forTerminal } from "../errors.js";
import { shellQuote } from "../hosts/quote.js";
import { commandRegistrations, type CommandRegistration } from "./commands/index.js";
import { diagnostics, setDiagnostics } from "./diagnostics.js";
import { stdoutIsPlain, writeStdout } from "./plain-stdout.js";
import { noteEventsAsked, owedEndLine, resetEndEvent } from "../render/ndjson-end.js";
import { EXIT, describeTopLevelError, exitCodeFor } from "../exit-codes.js";

export type ExitSetter = (code: number) => void;

const EXAMPLES = `
Examples:
  mudanza plan openvz-to-kvm --source root@old.example.org --target root@new.example.org -o web1.yaml
  mudanza run web1.yaml --dry-run              # every check, nothing changed, a Markdown report
  mudanza run web1.yaml --dry-run --format json
  mudanza run web1.yaml                        # interactive: asks before each destructive step
  mudanza run web1.yaml --yes                  # scripts and CI; --json for NDJSON events
  mudanza status web1.yaml                     # where it stands; run again to resume
  mudanza run web1.yaml --yes --debug          # every remote command as it runs, stack traces

Exit codes: 0 done, 1 a step failed, 2 bad input, 3 blocked by a check, 75 another run holds it (retry later), 130/143 interrupted, 70 a bug (please report it).`;

/** The root's own flags, the only arguments that may come before a subcommand's name. */
const ROOT_FLAGS = new Set(["-v", "--verbose", "--debug"]);

/**
 * The registrations a command line needs: only its subcommand's when it names one after nothing but root flags
 * (registering the other nine costs `mudanza status` a tenth of what it adds to a bare node start), every one
 * otherwise (no argv, --help, `help CMD`, an unknown command and its suggestion list all of them).
 */
function registrationsFor(argv: string[] | undefined): CommandRegistration[] {
  const all = commandRegistrations.map((r) => r.register);
  const at = argv?.findIndex((arg) => !ROOT_FLAGS.has(arg)) ?? -1;
  if (!argv || at === -1) return all;
  const named = commandRegistrations.find((r) => r.names.includes(argv[at]!));
  return named ? [named.register] : all;
}

/**
 * `mudanza help image clone` as `mudanza image clone --help`: commander's help command takes one name, so it
 * showed image's help (new-user trial 12). `help` with one name or none is commander's own.
 */
function helpForSubcommand(argv: string[]): string[] {
  const at = argv.findIndex((arg) => !ROOT_FLAGS.has(arg));
  if (at === -1 || argv[at] !== "help") return argv;
  const names = argv.slice(at + 1);
  if (names.length < 2 || names.some((name) => name.startsWith("-"))) return argv;
  return [...argv.slice(0, at), ...names, "--help"];
}

/**
 * For an unknown option typed before the command's name (`mudanza --dry-run run x.yaml`): the command line with
 * it moved after, where the command knows it. Only the root's own flags may come first.
 */
function misplacedOptionHint(error: string, argv: string[] | undefined): string | undefined {
  const option = /unknown option '([^']+)'/.exec(error)?.[1];
  if (!argv || !option) return undefined;
  const names = new Set(commandRegistrations.flatMap((r) => r.names));
  const at = argv.findIndex((arg) => names.has(arg));
  const before = argv.slice(0, Math.max(at, 0));
  if (at <= 0 || !before.includes(option)) return undefined;
  const moved = [
    ...before.filter((a) => ROOT_FLAGS.has(a)),
    ...argv.slice(at),
    ...before.filter((a) => !ROOT_FLAGS.has(a)),
  ];
  return `a command's options go after its name: mudanza ${moved.join(" ")}`;
}

/**
 * `mudanza image info -disk.qcow2`: an "option" that names a file is one whose name starts with "-" (found by
 * a new-user trial). A path starting "./" is never read as an option.
 */
function dashFileHint(error: string): string | undefined {
  const option = /unknown option '([^']+)'/.exec(error)?.[1];
  if (!option || option.startsWith("--") || !/[./]/.test(option)) return undefined;
  return `if ${option} is a file, write it as ${shellQuote(`./${option}`)}`;
}

/**
 * `mudanza plan kvm-to-openvz`: the names the command takes (its kinds, for plan), not only "unknown
 * command" (found by a new-user trial).
 */
function unknownSubcommandHint(program: Command, error: string, argv: string[] | undefined): string | undefined {
  const unknown = /unknown command '([^']+)'/.exec(error)?.[1];
  if (/Did you mean/.test(error)) return undefined; // commander's own suggestion says it better
  const parent =
    argv &&
    program.commands.find((c) => argv.includes(c.name()) && argv.indexOf(c.name()) < argv.indexOf(unknown ?? ""));
  const names = parent?.commands.map((c) => c.name()).filter((name) => name !== "help");
  return unknown && parent && names && names.length > 0
    ? `mudanza ${parent.name()} takes ${names.join(", ")}`
    : undefined;
}

/** The program with every subcommand, or with only the one `argv` (as main gets it) runs. */
export function buildProgram(setExit: ExitSetter, argv?: string[]): Command {
  const program = new Command("mudanza")
    .description("Move Linux servers between virtualization technologies without losing a byte")
    .version("0.1.0")
    .exitOverride()
    // One line, like every other bad input (subcommands inherit this); --help shows the usage.
    .configureOutput({
      // Help and --version without making process.stdout when it is no terminal (plain-stdout.ts).
      writeOut: writeStdout,
      // commander's own default width when it is no terminal
      getOutHelpWidth: () => (!stdoutIsPlain() && process.stdout.isTTY ? process.stdout.columns : 80),
      getOutHasColors: () => !stdoutIsPlain() && process.stdout.isTTY && process.stdout.hasColors(),
      outputError: (text, write) =>
        write(
          `mudanza: ${forTerminal(
            text
              .trim()
              .replace(/^error: /, "")
              .replace(/\s*\n\s*/g, " "),
          )} (${misplacedOptionHint(text, argv) ?? dashFileHint(text) ?? unknownSubcommandHint(program, text, argv) ?? "--help shows the usage"})\n`,
        ),
    })
    .option("-v, --verbose", "say what happens as it happens (a dry run's steps on stderr), not only the result")
    .option(
      "--debug",
      "also print every command run on a host as it runs (secrets redacted) and stack traces; implies -v",
    )
    .addHelpText("after", EXAMPLES)
    // Global flags, before or after the subcommand: known to every part that says more before any action runs.
    .hook("preAction", (root, action) => {
      setDiagnostics(root.opts<{ verbose?: boolean; debug?: boolean }>());
      // Where --json means events (not a hidden flag that is refused, as in status and runs).
      const json = action.options.find((o) => o.long === "--json");
      if (json && !json.hidden && action.opts<{ json?: boolean }>().json) noteEventsAsked();
    });
  for (const register of registrationsFor(argv)) register(program, setExit);
  return program;
}

/** Parses argv and runs the command; every error ends here and becomes an exit code. */
export async function main(
  argv: string[],
  stderr: (text: string) => void = (t) => process.stderr.write(t),
): Promise<number> {
  argv = helpForSubcommand(argv);
  let code: number = EXIT.done;
  setDiagnostics({});
  resetEndEvent();
  const program = buildProgram((c) => {
    code = c;
  }, argv);
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT.done;
      // `mudanza help` asked for the help (exit code 0, stdout); `mudanza plan` without its kind, or a bare
      // `mudanza`, gets it on stderr as a missing argument (commander's exit code 1): bad input, so that
      // `mudanza plan > x.yaml` fails instead of writing an empty file.
      if (error.code === "commander.help" && error.exitCode === 0) return EXIT.done;
      return EXIT.badInput;
    }
    stderr(
      describeTopLevelError(
        error instanceof Error || error instanceof BadInputError ? error : new Error(String(error)),
        diagnostics(),
      ) + "\n",
    );
    const owed = owedEndLine(error, exitCodeFor(error));
    if (owed) writeStdout(owed + "\n");
    return exitCodeFor(error);
  }
}
