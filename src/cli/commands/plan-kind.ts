import { stat, writeFile } from "node:fs/promises";
import { basename, extname, join, resolve } from "node:path";
import { Option, type Command } from "commander";
import { parse as parseYaml } from "yaml";
import { BadInputError, fileErrorText, nameForTerminal } from "../../errors.js";
import { pasteable } from "../../hosts/quote.js";
import { homeDirectory } from "../../hosts/ssh/config-resolution.js";
import { renderCommentedPlan, type PlanEndpointInput } from "../../plan/commented-plan.js";
import { endpointSchema } from "../../plan/endpoint.js";
import { kindDocs, optionDocs, optionsHelpText } from "../../plan/kind-docs.js";
import { issueText, parsePlan } from "../../plan/load.js";
import { MIGRATION_ID, MIGRATION_ID_RULE, planKinds, type PlanKind } from "../../plan/schema.js";
import type { ExitSetter } from "../program.js";
import { parseEndpointFlag } from "./plan.js";

interface PlanFlags {
  source: string;
  target: string;
  name?: string;
  output?: string;
  identityFile?: string;
  sudo?: boolean;
  sourceHostKey?: string;
  targetHostKey?: string;
  option?: string[];
  guest?: string;
  ctid?: string;
}

/** Flags that exist only for one kind, each a shorthand for one plan option. */
const KIND_FLAGS: Record<
  PlanKind,
  Array<{ flag: string; key: keyof PlanFlags & string; option: string; value: string }>
> = {
  "openvz-to-kvm": [],
  "vserver-to-openvz": [
    { flag: "--guest", key: "guest", option: "guest", value: "<name>" },
    { flag: "--ctid", key: "ctid", option: "ctid", value: "<id>" },
  ],
};

export const EXAMPLES: Record<PlanKind, string> = {
  "openvz-to-kvm":
    "mudanza plan openvz-to-kvm --source root@web1.example.org --target root@web1-vm.example.org --identity-file ~/.ssh/migrate -o web1.yaml",
  "vserver-to-openvz":
    "mudanza plan vserver-to-openvz --source root@vs-host.example.org --target root@ovz-node.example.org --guest db1 --ctid 5001 -o db1.yaml",
};

/** A repeatable flag's values; no default given to commander, whose help would print "(default: [])". */
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * A flag's text is read as one YAML value, like the plan would hold it: 5000 is a number, true a boolean. A
 * number is taken only in plain decimal: YAML reads 1.5e3 as 1500 and 0x3e9 as 1001, and a typo in --ctid
 * would become another valid id (new-user trial 10).
 */
function yamlValue(text: string, flag: string): unknown {
  let value: unknown;
  try {
    value = parseYaml(text) as unknown;
  } catch {
    return text;
  }
  if (typeof value === "number" && !/^\s*[-+]?\d+(\.\d+)?\s*$/.test(text))
    throw new BadInputError(
      `${flag}: write the number in decimal digits: YAML would read ${JSON.stringify(text.trim())} as ${String(value)}`,
    );
  return value;
}

/** Options from --guest/--ctid and --option key=value, each remembering the flag that set it. */
function collectOptions(
  kind: PlanKind,
  flags: PlanFlags,
): { options: Record<string, unknown>; flagOf: Map<string, string> } {
  const known = optionDocs(kind).map((o) => o.key);
  const options: Record<string, unknown> = {};
  const flagOf = new Map<string, string>();
  for (const f of KIND_FLAGS[kind]) {
    const text = flags[f.key];
    if (typeof text !== "string") continue;
    flagOf.set(f.option, `${f.flag} ${JSON.stringify(text)}`);
    options[f.option] = f.option === "guest" ? text : yamlValue(text, flagOf.get(f.option)!);
  }
  for (const entry of flags.option ?? []) {
    const eq = entry.indexOf("=");
    if (eq < 1)
      throw new BadInputError(
        `--option ${JSON.stringify(entry)}: expected key=value (e.g. --option skipPreUpdate=true)`,
      );
    const key = entry.slice(0, eq);
    if (!known.includes(key))
      throw new BadInputError(`--option ${key}: ${kind} has no option "${key}"; its options are ${known.join(", ")}`);
    if (flagOf.has(key)) throw new BadInputError(`--option ${key}: already set by ${flagOf.get(key)}`);
    flagOf.set(key, `--option ${JSON.stringify(entry)}`);
    options[key] = yamlValue(entry.slice(eq + 1), flagOf.get(key)!);
  }
  return { options, flagOf };
}

/**
 * Checks the options against the kind's schema and names the flag behind each problem, said in the words a
 * plan file gets for the same mistake (load.ts issueText).
 */
function checkOptions(kind: PlanKind, options: Record<string, unknown>, flagOf: Map<string, string>): void {
  const schema = kindDocs[kind].schema;
  const result = schema.safeParse(options);
  if (result.success) return;
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? "");
    const flag = flagOf.get(key) ?? KIND_FLAGS[kind].find((f) => f.option === key)?.flag ?? `--option ${key}=...`;
    const missing = issue.code === "invalid_type" && !Object.hasOwn(options, key);
    if (missing) return `${flag.split(" ")[0]} is required for ${kind}`;
    return `${flag}: ${issueText(issue, { written: options, schema, inFlag: true })}`;
  });
  // An empty value breaks every rule of its key at once: it is said once.
  throw new BadInputError([...new Set(problems)].join("\n"));
}

function endpointFromFlags(role: "source" | "target", flags: PlanFlags): PlanEndpointInput {
  const base = parseEndpointFlag(flags[role], `--${role}`);
  const hostKeyFlag = role === "source" ? "--source-host-key" : "--target-host-key";
  const hostKey = role === "source" ? flags.sourceHostKey : flags.targetHostKey;
  const endpoint: PlanEndpointInput = {
    ...base,
    ...(flags.sudo ? { sudo: true } : {}),
    // As typed, relative to here; the plan file may be read from elsewhere, where it would mean another file.
    ...(flags.identityFile ? { identityFile: absoluteUnlessHome(flags.identityFile) } : {}),
    ...(hostKey ? { hostKey } : {}),
  };
  const check = endpointSchema.safeParse(endpoint);
  if (!check.success) {
    const issue = check.error.issues[0]!;
    const flag = issue.path[0] === "hostKey" ? hostKeyFlag : `--${role}`;
    throw new BadInputError(`${flag}: ${issue.message}`);
  }
  return endpoint;
}

async function writePlan(kind: PlanKind, given: PlanFlags): Promise<void> {
  // `-o -` is stdout, as for most tools (found by a new-user trial: it wrote a file named "-")
  const flags = given.output === "-" ? { ...given, output: undefined } : given;
  // Checked here, not only by parsePlan below, whose message names the -o file, which is never written.
  if (flags.name !== undefined && !MIGRATION_ID.test(flags.name))
    throw new BadInputError(`--name ${JSON.stringify(flags.name)}: ${MIGRATION_ID_RULE} (it names the journal)`);
  if (flags.output === "") throw new BadInputError("-o needs a file name (or - for stdout)");
  // Without --name the file's name names the journal, and run refuses one that cannot: never write that plan.
  const stem = flags.output === undefined ? undefined : basename(flags.output, extname(flags.output));
  if (flags.name === undefined && stem !== undefined && !MIGRATION_ID.test(stem))
    throw new BadInputError(
      `-o ${nameForTerminal(flags.output ?? "")}: without --name the file's name names the journal, and ${JSON.stringify(stem)} cannot (${MIGRATION_ID_RULE}): give --name NAME, or another file name`,
    );
  const { options, flagOf } = collectOptions(kind, flags);
  checkOptions(kind, options, flagOf);
  const text = renderCommentedPlan({
    kind,
    name: flags.name,
    source: endpointFromFlags("source", flags),
    target: endpointFromFlags("target", flags),
    options,
  });
  parsePlan(text, flags.output ?? "(generated plan)"); // same validation as `run`: never write a plan run would refuse
  // Not refused: the key may be put there before the run, or the run may happen on another machine.
  const keyProblem = flags.identityFile ? await identityFileProblem(flags.identityFile) : undefined;
  if (keyProblem)
    process.stderr.write(`mudanza: warning: --identity-file ${keyProblem}; the run reads the key there\n`);
  if (flags.output) {
    const output = flags.output;
    await writeFile(output, text, { flag: "wx" }).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw new BadInputError(`cannot write ${output}: ${fileErrorText(error)}`);
      const folder = await stat(output).then(
        (s) => s.isDirectory(),
        () => false,
      );
      throw new BadInputError(
        folder
          ? `${output} is a folder: -o names the plan file to write (-o ${join(output, `${flags.name ?? "plan"}.yaml`)})`
          : `${output} exists; not overwriting it`,
      );
    });
    // A note, like a dry run's "report: PATH": stdout stays for the plan itself (without -o). The command is
    // one to paste: a name starting with "-" would be read as an option, control characters are $'…'-quoted.
    const argument = output.startsWith("-") ? `./${output}` : output;
    process.stderr.write(
      `mudanza: wrote ${nameForTerminal(output)}; check it with: mudanza run ${pasteable(argument)} --dry-run\n`,
    );
  } else process.stdout.write(text);
}

/** Everything of `mudanza plan KIND` that needs the schemas: loaded only when that command runs. */
export function configureKindCommand(sub: Command, kind: PlanKind, setExit: ExitSetter): void {
  sub
    .requiredOption("--source <[user@]host[:port]>", `${kindDocs[kind].source}`)
    .requiredOption("--target <[user@]host[:port]>", `${kindDocs[kind].target}`);
  // Another kind's flags are known here only to be refused by name (commander would just say "unknown option").
  const foreign = planKinds.filter((k) => k !== kind).flatMap((k) => KIND_FLAGS[k].map((f) => ({ ...f, kind: k })));
  for (const f of foreign) sub.addOption(new Option(`${f.flag} ${f.value}`).hideHelp());
  for (const f of KIND_FLAGS[kind])
    sub.option(
      `${f.flag} ${f.value}`,
      `sets options.${f.option}: ${optionDocs(kind).find((o) => o.key === f.option)?.description ?? ""}`,
    );
  sub
    .option("--name <name>", "migration name (names the journal; default: the plan file's name)")
    .option("--identity-file <file>", "ssh private key for both hosts (identityFile)")
    .option("--sudo", "run commands through `sudo -n` on both hosts (for a user other than root)")
    .option("--source-host-key <SHA256:...>", "pin the source's host key fingerprint (hostKey)")
    .option("--target-host-key <SHA256:...>", "pin the target's host key fingerprint (hostKey)")
    .option(
      "--option <key=value>",
      "set a plan option (repeatable); the value is read as YAML: true, 5, [a, b]",
      collect,
    )
    .option("-o, --output <file>", "write here instead of stdout (never overwrites)")
    .addHelpText("after", `${optionsHelpText(kind)}\n\nExample:\n  ${EXAMPLES[kind]}`)
    .action(async (flags: PlanFlags) => {
      const misplaced = foreign.filter((f) => flags[f.key] !== undefined);
      if (misplaced.length > 0)
        throw new BadInputError(misplaced.map((f) => `${f.flag} applies to ${f.kind} plans, not ${kind}`).join("\n"));
      await writePlan(kind, flags);
      setExit(0);
    });
}

/** Why the key file the plan names is not one here now, or undefined when it is (or cannot be told: %d tokens). */
async function identityFileProblem(flag: string): Promise<string | undefined> {
  const path = absoluteUnlessHome(flag);
  if (path.includes("%")) return undefined;
  const here = path === "~" || path.startsWith("~/") ? `${homeDirectory()}${path.slice(1)}` : path;
  const named = nameForTerminal(here);
  return stat(here).then(
    (s) => (s.isDirectory() ? `${named} is a folder, not a key file` : undefined),
    (error: NodeJS.ErrnoException) =>
      error.code === "ENOENT" || error.code === "ENOTDIR" ? `${named} does not exist` : undefined,
  );
}

const absoluteUnlessHome = (path: string): string => (/^(~$|~\/|%)/.test(path) ? path : resolve(path));
