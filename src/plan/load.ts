import { createHash } from "node:crypto";
import { basename, dirname, extname, resolve, isAbsolute } from "node:path";
import { LineCounter, Parser, parseDocument, type YAMLError } from "yaml";
import type { z } from "zod";
import { BadInputError, nameForTerminal } from "../errors.js";
import { canonicalJson } from "./canonical-json.js";
import { planKeyHashes } from "./plan-key-hashes.js";
import { planFilePath } from "./plan-file-path.js";
import { planTextHash, readPlanText } from "./read-plan-text.js";
import { resumeSafeOptions } from "./kind-docs.js";
import { closestKey, keysAt, shapesAt } from "./key-suggestions.js";
import { emptyValueText } from "./empty-value-text.js";
import { parseEndpointText } from "./endpoint-text.js";
import { yamlLineLocator, type LineLocator } from "./yaml-lines.js";
import { MIGRATION_ID, MIGRATION_ID_RULE, planSchema, type Plan } from "./schema.js";

export interface LoadedPlan {
  plan: Plan;
  path: string;
  /**
   * sha256 of what the user wrote (canonical JSON of the YAML, before defaults): an edit after the
   * migration started is detected by this, and a default added by a later version changes nothing.
   */
  hash: string;
  /** A short hash of each setting the hash covers (plan-key-hashes.ts): what changed, when it did. */
  keyHashes: Record<string, string>;
  /** How versions up to 0.1.0 hashed the same plan (after defaults): a journal they started still resumes. */
  formerHashes: string[];
  migrationId: string;
  /** sha256 of the file's text as read: the journal records it, so `status` can tell an untouched plan without parsing it. */
  textHash: string;
}

export async function loadPlan(path: string): Promise<LoadedPlan> {
  const absolute = planFilePath(path);
  const loaded = parsePlan(await readPlanText(absolute, path), absolute);
  if (!loaded.plan.name && !MIGRATION_ID.test(loaded.migrationId)) {
    throw new BadInputError(
      `${nameForTerminal(path)}: the file name cannot name the migration's journal (${MIGRATION_ID_RULE}); set name: in the plan`,
    );
  }
  return loaded;
}

export function parsePlan(text: string, path: string): LoadedPlan {
  const shown = nameForTerminal(path);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, lineCounter });
  const yamlError = doc.errors[0];
  // The library's own advice (use YAML.parseAllDocuments) is for programmers (found by a new-user trial).
  if (yamlError?.code === "MULTIPLE_DOCS")
    throw new BadInputError(`${shown}: holds more than one YAML document (a --- line between them): a plan is one`);
  if (yamlError) throw new BadInputError(`${shown}: not valid YAML: ${yamlProblem(yamlError, text, lineCounter)}`);
  let written: unknown;
  try {
    written = doc.toJS();
  } catch (error) {
    // The yaml library refuses alias bombs (billions of laughs) here.
    throw new BadInputError(
      `${shown}: not a plan: ${firstLine(error instanceof Error ? error.message : String(error))}`,
    );
  }
  if (written === null || written === undefined) throw new BadInputError(`${shown}: the plan is empty`);
  const result = planSchema.safeParse(written);
  if (!result.success)
    throw new BadInputError(formatPlanErrors(shown, result.error, written, yamlLineLocator(doc, lineCounter)));
  const plan = resolvePlanPaths(result.data, dirname(path));
  const sha256 = (value: unknown): string => createHash("sha256").update(canonicalJson(value)).digest("hex");
  const migrationId = plan.name ?? basename(path, extname(path));
  // Options that only skip a step may change on resume: the hash leaves them out.
  return {
    plan,
    path,
    hash: sha256(withoutResumeSafeOptions(written, result.data.kind)),
    keyHashes: planKeyHashes(withoutResumeSafeOptions(written, result.data.kind)),
    formerHashes: [sha256(written), sha256(result.data)],
    migrationId,
    textHash: planTextHash(text),
  };
}

/** Skipping a step (e.g. skipPreUpdate after declining its gate) is decided again on every run, so it may change on resume. */
function withoutResumeSafeOptions(written: unknown, kind: Plan["kind"]): unknown {
  if (!written || typeof written !== "object") return written;
  const plan = written as Record<string, unknown>;
  if (!plan.options || typeof plan.options !== "object") return written;
  const options: Record<string, unknown> = { ...(plan.options as Record<string, unknown>) };
  for (const key of resumeSafeOptions(kind)) delete options[key];
  return { ...plan, options };
}

const firstLine = (message: string): string => message.split("\n")[0]!.replace(/:$/, "");

/**
 * The yaml library reports an unclosed quote, { or [ where it noticed it, the end of the file or the next key
 * (new-user trial 7: a quote opened on line 2 was "Missing closing "quote at line 4"); such a problem is said
 * where it starts. Other errors keep the library's text and position (its linePos is where they start).
 */
function yamlProblem(error: YAMLError, text: string, lineCounter: LineCounter): string {
  const opened = unclosedOpening(text);
  if (!opened || opened.offset > error.pos[0]) return firstLine(error.message);
  const { line, col } = lineCounter.linePos(opened.offset);
  return `line ${line}, column ${col}: the ${opened.mark} opened here is never closed${opened.mark === "{" || opened.mark === "[" ? ` with ${opened.mark === "{" ? "}" : "]"}` : ""}`;
}

const CLOSED_SCALAR: Record<string, RegExp> = {
  "double-quoted-scalar": /^"(?:[^"\\]|\\[\s\S])*"$/,
  "single-quoted-scalar": /^'(?:[^']|'')*'$/,
};
const CLOSING: Record<string, string> = { "{": "}", "[": "]" };

/** The first quoted value or flow collection ({ [) the text opens and never closes, from the yaml parser's tokens. */
function unclosedOpening(text: string): { offset: number; mark: string } | undefined {
  const found: Array<{ offset: number; mark: string }> = [];
  const visit = (node: unknown): void => {
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node)) return node.forEach(visit);
    const token = node as {
      type?: string;
      offset?: number;
      source?: string;
      start?: { source?: string };
      end?: Array<{ source?: string }>;
    };
    const closed = token.type ? CLOSED_SCALAR[token.type] : undefined;
    if (closed && typeof token.source === "string" && !closed.test(token.source))
      found.push({ offset: token.offset ?? 0, mark: token.source[0]! });
    const start = token.start?.source;
    if (token.type === "flow-collection" && start && !(token.end ?? []).some((e) => e.source === CLOSING[start]))
      found.push({ offset: token.offset ?? 0, mark: start });
    for (const value of Object.values(node)) visit(value);
  };
  for (const token of new Parser().parse(text)) visit(token);
  return found.sort((a, b) => a.offset - b.offset)[0];
}

/** "plan.yaml is not a valid plan: line 3: source.port: ..." (one line per problem found). */
export function formatPlanErrors(path: string, error: z.ZodError, written?: unknown, lineOf?: LineLocator): string {
  // In the file's order, as an editor goes through them (sort is stable: one line's problems keep theirs).
  const lines = error.issues
    .map((issue) => ({
      issue,
      line: lineOf?.(issue.path, issue.code === "unrecognized_keys" ? issue.keys[0] : undefined),
    }))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
    .map(
      ({ issue, line }) =>
        `${line === undefined ? "" : `line ${line}: `}${issueText(issue, { written, schema: planSchema })}`,
    )
    // An empty value breaks every rule of its key at once: it is said once.
    .filter((line, index, all) => all.indexOf(line) === index);
  if (lines.length === 1) return `${path} is not a valid plan: ${lines[0]}`;
  return `${path} is not a valid plan:\n${lines.map((l) => `  ${l}`).join("\n")}`;
}

/** What was checked: the value as written and the schema it was checked against (a plan, or a kind's options). */
export interface Checked {
  written: unknown;
  schema: z.ZodType;
  /** Written in a flag (--option key=[a, b]): a list or a mapping is written in [ ] or { }, not in lines. */
  inFlag?: boolean;
}

/**
 * One problem in the plan's words, not zod's: `mudanza plan --option` says its problems the same way as a
 * plan file (new-user trial 10: a missing `reason` was said as "extraExcludes takes text (quote it)").
 */
export function issueText(issue: z.core.$ZodIssue, checked: Checked): string {
  const { written } = checked;
  const key = issue.path.length > 0 ? issue.path.map(String).join(".") : "(top level)";
  const value = valueAt(written, issue.path);
  if (issue.code === "unrecognized_keys") return `${key}: ${unknownKeysText(issue.keys, issue.path, checked)}`;
  if (value === "" && EMPTY_VALUE_CODES.has(issue.code)) return `${key} is empty: ${emptyValueText(issue.path)}`;
  const choices = discriminatorChoices(issue);
  if (choices) return `${key}: ${choiceText(value, choices)}`;
  if (issue.code === "invalid_type" && value === undefined)
    return `${key}: missing (${/^[aeiou]/.test(issue.expected) ? "an" : "a"} ${issue.expected} is required)`;
  // zod's own wording ("Invalid input: expected object, received string") is a library's (new-user trial 7); a
  // schema's own message (wholeNumberSchema's "write a whole number of passes from 1 to 10") is kept.
  if (!ZOD_WORDING.test(issue.message)) return `${key}: ${issue.message}${typeHint(issue, value, checked)}`;
  if (issue.code === "invalid_value" && issue.values.length > 0)
    return `${key}: ${choiceText(value, issue.values.map(String))}`;
  if (issue.code === "invalid_type") {
    // root:secret@host written where an endpoint belongs: the message must not repeat the password
    const shown = issue.expected === "object" && typeof value === "string" ? withoutPassword(value) : value;
    return `${key} must be ${expectedWords(issue.expected, checked)}, not ${writtenWords(shown)}${typeHint(issue, shown, checked)}`;
  }
  if ((issue.code === "too_small" || issue.code === "too_big") && issue.origin === "number") {
    const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
    const side = issue.code === "too_small" ? ["at least", "more than"] : ["at most", "less than"];
    return `${key} must be ${issue.inclusive ? side[0] : side[1]} ${String(bound)}, not ${writtenWords(value)}`;
  }
  if (issue.code === "invalid_format" && issue.format === "starts_with" && issue.message.startsWith("Invalid string:"))
    return `${key} must start with ${JSON.stringify((issue as { prefix?: string }).prefix ?? "")}, not ${writtenWords(value)}`;
  return `${key}: ${issue.message}`;
}

/** How zod words the messages it makes itself (a schema's own message reads otherwise). */
const ZOD_WORDING = /^(Invalid input|Invalid option|Too small|Too big|Invalid string)\b/;

/** What to write instead, when a value of the wrong type says it: yes for true, "2222" for 2222, a text for a mapping. */
function typeHint(issue: z.core.$ZodIssue, value: unknown, checked: Checked): string {
  if (issue.code !== "invalid_type") return "";
  if (issue.expected === "boolean") return yamlBooleanHint(value);
  if (issue.expected === "number") return quotedNumberHint(value);
  if (issue.expected === "object") return mappingHint(value, issue.path, checked);
  if (issue.expected === "string") return bracketedTextHint(value);
  return "";
}

/**
 * A text in [ ] is a list in YAML (found by a new-user trial: targetAddressFromSource=[::1] said only
 * "expected string, received array").
 */
function bracketedTextHint(value: unknown): string {
  if (!Array.isArray(value)) return "";
  const bare = value.length === 1 && typeof value[0] === "string" ? value[0] : undefined;
  return ` (YAML reads a value in [ ] as a list: write an IPv6 address without brackets${bare === undefined ? "" : ` (${bare})`}, or quote the text)`;
}

/** What zod's `expected` stands for, in the words of a YAML file or of a flag's YAML value. */
const expectedWords = (expected: string, checked: Checked): string =>
  (checked.inFlag ? FLAG_EXPECTED_WORDS[expected] : undefined) ?? EXPECTED_WORDS[expected] ?? `a ${expected}`;

const FLAG_EXPECTED_WORDS: Record<string, string> = {
  object: "a mapping: {key: value}",
  array: "a list: [a, b]",
};

const EXPECTED_WORDS: Record<string, string> = {
  object: "a mapping (key: value lines, or {key: value})",
  array: "a list (- item lines, or [a, b])",
  string: "text",
  number: "a number",
  // zod's int() (ctid: 1001.5), found by new-user trial 10: "must be a int"
  int: "a whole number",
  boolean: "true or false",
};

/** A value written in the plan, named by its YAML kind (and shown when it is a short scalar). */
function writtenWords(value: unknown): string {
  if (value === null) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return value.length <= 60 ? `the text ${JSON.stringify(value)}` : "a text";
  if (typeof value === "number") return `the number ${value}`;
  return String(value);
}

/**
 * A text where a mapping of one shape belongs (a list item of extraExcludes or acknowledge): the mapping to
 * write, the text as its first key's value, which is what such a text usually meant (`- /var/cache`). An
 * endpoint written as `root@host:2222` is split into its keys instead (new-user trial 10: the text went under
 * `transport`, which takes ssh, local or scripted).
 */
function mappingHint(value: unknown, path: readonly PropertyKey[], checked: Checked): string {
  const shapes = shapesAt(checked.schema, checked.written, path);
  if (typeof value !== "string" || shapes.length !== 1) return "";
  const keys = Object.keys(shapes[0]!);
  if (keys.includes("transport") && keys.includes("host"))
    return `: write {${endpointKeys(value).join(", ")}}${value.includes(":…@") ? " (no password: mudanza logs in with ssh keys, identityFile or ssh-agent)" : ""}`;
  const [first, ...rest] = keys;
  if (!first) return "";
  return `: write {${[`${first}: ${value}`, ...rest.map((k) => `${k}: …`)].join(", ")}}`;
}

/** `user:password@host` as `user:…@host`: a password written into a plan is not said again. */
function withoutPassword(text: string): string {
  const url = /^ssh:\/\//i.exec(text)?.[0] ?? "";
  return url + text.slice(url.length).replace(/^([^@\s/:]*):[^@\s]*@/, "$1:…@");
}

/** The endpoint keys a text such as `root@vs1.example.net` stands for (`local` and `scripted` name a transport). */
function endpointKeys(value: string): string[] {
  if (value === "local") return ["transport: local"];
  if (value === "scripted") return ["transport: scripted", "fixture: …"];
  const parsed = parseEndpointText(value);
  if (!parsed) return ["host: …", "user: …", "port: …"];
  const user = parsed.user?.split(":")[0];
  return [
    "transport: ssh",
    `host: ${parsed.host}`,
    ...(user !== undefined ? [`user: ${user}`] : []),
    ...(parsed.port !== undefined ? [`port: ${parsed.port}`] : []),
  ];
}

/** What an empty string breaks (a minimum length, a pattern, a key's own check); a list of choices says more. */
const EMPTY_VALUE_CODES = new Set<string>(["too_small", "invalid_format", "custom"]);

/** YAML 1.1 read yes/no/on/off as booleans, YAML 1.2 (this parser, like most today) reads them as text. */
const YAML11_BOOLEANS: Record<string, boolean> = { yes: true, y: true, on: true, no: false, n: false, off: false };

function yamlBooleanHint(value: unknown): string {
  if (typeof value !== "string") return "";
  const meant =
    YAML11_BOOLEANS[value.toLowerCase()] ??
    (/^(true|false)$/i.test(value) ? value.toLowerCase() === "true" : undefined);
  return meant === undefined ? "" : ` (write ${meant}, without quotes: this YAML reads "${value}" as text)`;
}

/** "no key "maxLivePases" here (did you mean maxLivePasses?)", or the keys it takes when none is close. */
function unknownKeysText(keys: string[], path: readonly PropertyKey[], checked: Checked): string {
  const known = keysAt(checked.schema, checked.written, path);
  return keys
    .map((unknown) => {
      const meant = closestKey(unknown, known);
      const hint = meant ? `did you mean ${meant}?` : known.length > 0 ? `it takes ${known.join(", ")}` : "";
      return `unknown key "${unknown}"${hint ? ` (${hint})` : ""}`;
    })
    .join("; ");
}

/** The values a discriminated union's field (kind, via) takes, when the issue is that none matched. */
function discriminatorChoices(issue: z.core.$ZodIssue): string[] | undefined {
  if (issue.code !== "invalid_union") return undefined;
  const options = (issue as { discriminator?: unknown; options?: unknown }).options;
  return Array.isArray(options) && options.length > 0 ? options.map(String) : undefined;
}

/** kind missing or misspelt, in words instead of zod's "Invalid discriminator value. Expected 'a' | 'b'". */
function choiceText(value: unknown, choices: string[]): string {
  const list = choices.join(", ");
  if (value === undefined) return `missing (one of ${list})`;
  const meant = typeof value === "string" ? closestKey(value, choices) : undefined;
  return `${JSON.stringify(value)} is not one of ${list}${meant ? ` (did you mean ${meant}?)` : ""}`;
}

/** port: "2222" is text in YAML: a number is written without quotes. */
function quotedNumberHint(value: unknown): string {
  if (typeof value !== "string" || !/^\s*-?\d+(\.\d+)?\s*$/.test(value)) return "";
  return ` (write ${value.trim()}, without quotes: YAML reads "${value}" as text)`;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) at = at && typeof at === "object" ? (at as Record<PropertyKey, unknown>)[key] : undefined;
  return at;
}

/**
 * Paths in a plan are the plan's, like paths in an ssh config are the config's: a relative fixture, key or
 * known hosts file is resolved from the plan's folder, so the plan means the same from cron or
 * another directory (found by a new-user trial: identityFile was read from the current directory). `~/` and
 * ssh's %-tokens stay for its own expansion.
 */
function resolvePlanPaths(plan: Plan, base: string): Plan {
  const fromPlan = (path: string | undefined): string | undefined =>
    path === undefined || isAbsolute(path) || /^(~$|~\/|%)/.test(path) ? path : resolve(base, path);
  const fix = <E extends { fixture?: string; identityFile?: string; knownHostsFile?: string }>(endpoint: E): E => ({
    ...endpoint,
    ...(endpoint.fixture !== undefined ? { fixture: fromPlan(endpoint.fixture) } : {}),
    ...(endpoint.identityFile !== undefined ? { identityFile: fromPlan(endpoint.identityFile) } : {}),
    ...(endpoint.knownHostsFile !== undefined ? { knownHostsFile: fromPlan(endpoint.knownHostsFile) } : {}),
  });
  const resolved: Plan = { ...plan, source: fix(plan.source), target: fix(plan.target) };
  if ("checkpoints" in plan && plan.checkpoints) {
    // A QMP socket must be absolute (the schema says so); the other backends are reached like endpoints.
    const { source, target } = plan.checkpoints;
    (resolved as typeof plan).checkpoints = {
      ...plan.checkpoints,
      ...(source ? { source: fix(source) } : {}),
      ...(target ? { target: target.via === "qmp" ? target : fix(target) } : {}),
    };
  }
  return resolved;
}
