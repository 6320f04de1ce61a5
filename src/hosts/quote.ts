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
