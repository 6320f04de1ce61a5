/**
 * The one function that quotes an argument for a POSIX shell. Every value that reaches a remote or local
 * shell goes through here (directly or through `sh`/`cmd`), so hostile paths and names stay one word.
 */
export function shellQuote(arg: string | number): string {
  const s = String(arg);
  if (s.includes("\0")) throw new Error("a shell argument cannot contain a NUL byte");
  if (s !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex -- the same, with what $'…' escapes besides
const ESCAPED_IN_DOLLAR_QUOTES = /[\\']|[\u0000-\u001f\u007f]/g;

/**
 * A word to show in a command the user pastes into a shell: shellQuote's, or bash's $'…' when it holds control
 * characters (a tab or newline in a file name would be pasted as spaces, or escaped for the terminal into
 * another name), which prints none of them raw.
 */
export function pasteable(arg: string): string {
  if (!CONTROL.test(arg)) return shellQuote(arg);
  const escaped = arg.replace(ESCAPED_IN_DOLLAR_QUOTES, (c) =>
    c === "\\" || c === "'" ? `\\${c}` : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
  return `$'${escaped}'`;
}

/** Builds a command line from argv, quoting every word. */
export function cmd(...argv: Array<string | number>): string {
  return argv.map(shellQuote).join(" ");
}

/** A literal piece of shell that `sh` interpolates without quoting (operators, already-built commands). */
export class RawShell {
  constructor(readonly text: string) {}
}
export const raw = (text: string): RawShell => new RawShell(text);

/**
 * Tagged template for shell snippets: every interpolated value is quoted; arrays become several quoted
 * words; `raw()` values pass through. Example: sh`test -e ${path} && cat ${path}`.
 */
export function sh(
  strings: TemplateStringsArray,
  ...values: Array<string | number | RawShell | Array<string | number>>
): string {
  let out = strings[0] ?? "";
  values.forEach((v, i) => {
    if (v instanceof RawShell) out += v.text;
    else if (Array.isArray(v)) out += v.map(shellQuote).join(" ");
    else out += shellQuote(v);
    out += strings[i + 1] ?? "";
  });
  return out;
}
