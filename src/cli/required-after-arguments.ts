import type { Command } from "commander";

/**
 * Options a command cannot run without, checked after its arguments: commander checks required options first,
 * so `image clone` with neither its base nor --count named only --count (new-user trial 8).
 */
export function requiredAfterArguments(command: Command, ...longFlags: string[]): Command {
  return command.hook("preAction", (self) => {
    for (const long of longFlags) {
      const option = self.options.find((o) => o.long === long);
      if (option && self.getOptionValue(option.attributeName()) === undefined)
        self.error(`error: required option '${option.flags}' not specified`, {
          code: "commander.missingMandatoryOptionValue",
        });
    }
  });
}
