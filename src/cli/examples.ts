/** The "Examples:" block every subcommand's --help ends with. */
export const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((line) => `  ${line}`).join("\n")}`;
