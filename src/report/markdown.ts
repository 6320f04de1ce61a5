/** Small Markdown helpers: user data (paths, commands, messages) must not break the document. */

/** Inline code that survives backticks inside: the fence is one backtick longer than any run inside. */
export function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const ticks = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** A fenced block whose fence cannot appear inside. */
export function fenced(lines: string[], lang = ""): string[] {
  const longest = Math.max(2, ...lines.flatMap((l) => (l.match(/`+/g) ?? []).map((r) => r.length)));
  const fence = "`".repeat(longest + 1);
  return [fence + lang, ...lines, fence];
}

/** Text in a table cell: pipes escaped, newlines flattened. */
export function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** Plain text that should not turn into Markdown by accident (leading #, -, *, >, numbers). */
export function plain(text: string): string {
  // Balanced backticks are the author's code spans ("run `vzctl start CTID`"): kept as code.
  const ticks = (text.match(/`/g) ?? []).length;
  return text
    .replace(ticks % 2 === 0 ? /([\\*[\]<])/g : /([\\`*[\]<])/g, "\\$1")
    .replace(/(^|\W)_|_(?=\W|$)/g, (m) => m.replace("_", "\\_")) // snake_case words stay as they are
    .replace(/^(\s*)([#+>-]|\d+\.)(\s)/, "$1\\$2$3");
}

export function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ];
}
