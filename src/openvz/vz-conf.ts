/**
 * OpenVZ container config files (/etc/vz/conf/CTID.conf, ve-*.conf-sample, vz.conf): shell-style
 * KEY="value" lines. `vzctl set --save` rewrites a key's line in place and appends keys the file does
 * not have yet, keeping comments; `setVzConfValues` does the same so a diff against vzctl's own output
 * stays small.
 */
export interface VzConfLine {
  key?: string;
  value?: string;
  raw: string;
}

/** The one reading of a config line: KEY="value", KEY='value' or KEY=value, each with an optional trailing comment. */
const LINE = /^\s*([A-Z_][A-Z0-9_]*)=(?:"([^"]*)"|'([^']*)'|([^\s#"']*))\s*(?:#.*)?$/;

export function parseVzConf(text: string): VzConfLine[] {
  return text.split("\n").map((raw) => {
    const m = LINE.exec(raw);
    if (!m) return { raw };
    return { key: m[1]!, value: m[2] ?? m[3] ?? m[4] ?? "", raw };
  });
}

export function vzConfValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of parseVzConf(text)) if (line.key !== undefined) out[line.key] = line.value ?? "";
  return out;
}

/**
 * The directory vzctl derives from a VE_PRIVATE/VE_ROOT template (vzctl src/lib/util.c `subst_VEID`):
 * trailing slashes dropped, then the first `$VEID` (else `${VEID}`) replaced by the CTID.
 */
export function substVeid(template: string, ctid: number): string {
  const trimmed = template.replace(/(.)\/+$/, "$1");
  for (const token of ["$VEID", "${VEID}"]) {
    const at = trimmed.indexOf(token);
    if (at >= 0) return trimmed.slice(0, at) + String(ctid) + trimmed.slice(at + token.length);
  }
  return trimmed;
}

export function formatVzConfLine(key: string, value: string): string {
  if (/["\\`\n]/.test(value) || /\$(?!VEID\b|\{VEID\})/.test(value))
    throw new Error(`${key}: value ${JSON.stringify(value)} cannot be written to an OpenVZ config`);
  return `${key}="${value}"`;
}

export function setVzConfValues(text: string, values: Array<[string, string]>): string {
  const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
  for (const [key, value] of values) {
    const line = formatVzConfLine(key, value);
    const index = lines.findIndex((l) => new RegExp(`^\\s*${key}=`).test(l));
    if (index >= 0) lines[index] = line;
    else lines.push(line);
  }
  return lines.join("\n") + "\n";
}
