import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";

/**
 * The bad-input catalogue (issue 11): every case is something a user or a script really types or has on
 * disk, and each must end with exit 2 and one line naming the field or file. `setup` builds what the case
 * needs inside its own folder and returns the CLI arguments.
 */
export interface BadInputCase {
  name: string;
  setup(dir: string): Promise<string[]>;
  /** What the one line must name (a field path, a flag or a file). */
  names: RegExp;
}

const HOSTS = resolve("fixtures/hosts");

/** A plan on scripted hosts that runs as it is; cases break one thing in it. */
export function goodPlan(edit: { source?: string; target?: string; top?: string; options?: string } = {}): string {
  return [
    "kind: openvz-to-kvm",
    "name: catalogue",
    edit.top ?? "",
    "source:",
    "  transport: scripted",
    `  fixture: ${HOSTS}/debian-12-openvz-source`,
    "  host: 198.18.10.31",
    edit.source ?? "",
    "target:",
    "  transport: scripted",
    `  fixture: ${HOSTS}/debian-12-kvm-target`,
    "  host: 198.18.20.11",
    edit.target ?? "",
    "options:",
    "  services: [ssh]",
    edit.options ?? "",
    "",
  ].join("\n");
}

const sshPlan = (source: string, target = "  host: new.example.org", options = ""): string =>
  `kind: openvz-to-kvm\nname: catalogue\nsource:\n${source}\ntarget:\n${target}\n${options ? `options:\n${options}\n` : ""}`;

async function planFile(dir: string, text: string, name = "plan.yaml"): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const runPlan =
  (text: string, ...flags: string[]) =>
  async (dir: string) => ["run", await planFile(dir, text), "--dry-run", ...flags];

/** A journal for the good plan, in the state dir `state` under the case's folder. */
const withJournal =
  (content: string, ...flags: string[]) =>
  async (dir: string) => {
    const state = join(dir, "state");
    await mkdir(state);
    await writeFile(join(state, "catalogue.journal.json"), content);
    return ["run", await planFile(dir, goodPlan()), ...flags, "--state-dir", state];
  };

const aliasBomb =
  [
    "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
    ...["b", "c", "d", "e", "f", "g", "h"].map(
      (k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcdefgh"[i]}`).join(", ")}]`,
    ),
  ].join("\n") + "\n";

export const BAD_INPUTS: BadInputCase[] = [
  // --- plan files
  {
    name: "plan file missing",
    setup: async (dir) => ["run", join(dir, "nope.yaml"), "--dry-run"],
    names: /nope\.yaml/,
  },
  { name: "plan path is a directory", setup: async (dir) => ["run", dir, "--dry-run"], names: /case-\d+/ },
  {
    name: "plan path is a fifo (no hang)",
    setup: async (dir) => {
      execFileSync("mkfifo", [join(dir, "plan.fifo")]);
      return ["run", join(dir, "plan.fifo"), "--dry-run"];
    },
    names: /plan\.fifo.*not a regular file/,
  },
  {
    name: "plan path is /dev/zero (no huge read)",
    setup: async () => ["run", "/dev/zero", "--dry-run"],
    names: /\/dev\/zero.*not a regular file/,
  },
  {
    name: "plan file name with a newline (found by a new-user trial: the message split across lines)",
    setup: async (dir) => ["run", await planFile(dir, "kind: x\n", "pl\nan.yaml"), "--dry-run"],
    names: /pl\\x0aan\.yaml is not a valid plan/,
  },
  {
    name: "missing plan file whose name holds a tab and a carriage return",
    setup: async (dir) => ["run", join(dir, "no\tne\r.yaml"), "--dry-run"],
    names: /no\\x09ne\\x0d\.yaml: no such file/,
  },
  { name: "plan over 1 MiB", setup: runPlan(goodPlan() + `# ${"x".repeat(1024 * 1024)}\n`), names: /plan\.yaml.*MiB/ },
  { name: "empty plan file", setup: runPlan(""), names: /plan\.yaml.*empty/ },
  { name: "broken YAML", setup: runPlan("kind: [unclosed\n"), names: /plan\.yaml.*YAML/ },
  { name: "binary garbage", setup: runPlan("kind: openvz-to-kvm\n\0\0\xff\xfe"), names: /plan\.yaml/ },
  { name: "YAML scalar instead of a mapping", setup: runPlan("just some text\n"), names: /plan\.yaml/ },
  { name: "YAML list instead of a mapping", setup: runPlan("- kind: openvz-to-kvm\n"), names: /plan\.yaml/ },
  { name: "YAML alias bomb", setup: runPlan(aliasBomb), names: /plan\.yaml.*alias/ },
  { name: "two YAML documents", setup: runPlan(goodPlan() + "---\n" + goodPlan()), names: /plan\.yaml.*YAML/ },
  {
    name: "unknown kind",
    setup: runPlan(goodPlan().replace("kind: openvz-to-kvm", "kind: xen-to-kvm")),
    names: /kind/,
  },
  { name: "kind missing", setup: runPlan(goodPlan().replace("kind: openvz-to-kvm", "")), names: /kind/ },
  { name: "misspelt top-level key", setup: runPlan(goodPlan({ top: "optoins: {}" })), names: /optoins/ },
  {
    name: "name of 300 characters",
    setup: runPlan(goodPlan().replace("name: catalogue", `name: ${"a".repeat(300)}`)),
    names: /name/,
  },
  {
    name: "name with a path in it",
    setup: runPlan(goodPlan().replace("name: catalogue", "name: ../../etc/x")),
    names: /name/,
  },
  {
    name: "no name and a file name that cannot name a journal",
    setup: async (dir) => [
      "run",
      await planFile(dir, goodPlan().replace("name: catalogue", ""), `${"w".repeat(250)}.yaml`),
      "--dry-run",
    ],
    names: /name/,
  },
  { name: "port out of range", setup: runPlan(goodPlan({ source: "  port: 70000" })), names: /source\.port/ },
  { name: "port as a word", setup: runPlan(goodPlan({ target: "  port: ssh" })), names: /target\.port/ },
  { name: "ssh endpoint without host", setup: runPlan(sshPlan("  port: 22")), names: /source\.host/ },
  {
    name: "host that is an ssh option",
    setup: runPlan(sshPlan("  host: -oProxyCommand=touch /tmp/x")),
    names: /source\.host/,
  },
  {
    name: "host with a space",
    setup: runPlan(sshPlan("  host: old.example.org", "  host: new example.org")),
    names: /target\.host/,
  },
  {
    name: "host with a newline",
    setup: runPlan(sshPlan('  host: "old.example.org\\n198.18.0.9 ssh-ed25519 AAAA"')),
    names: /source\.host/,
  },
  {
    name: "user that is an option",
    setup: runPlan(sshPlan("  host: old.example.org", "  host: new.example.org\n  user: -lroot")),
    names: /target\.user/,
  },
  {
    name: "user with a terminal escape",
    setup: runPlan(sshPlan('  host: old.example.org\n  user: "\\e[2J\\e]0;pwned\\a"')),
    names: /source\.user/,
  },
  {
    name: "targetAddressFromSource that is an option",
    setup: runPlan(
      sshPlan("  host: old.example.org", "  host: new.example.org", "  targetAddressFromSource: -oProxyCommand=x"),
    ),
    names: /options\.targetAddressFromSource/,
  },
  {
    name: "malformed hostKey",
    setup: runPlan(sshPlan("  host: old.example.org\n  hostKey: MD5:aa:bb")),
    names: /source\.hostKey/,
  },
  {
    name: "hostKey pinned on a scripted endpoint",
    setup: runPlan(goodPlan({ target: "  hostKey: SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s" })),
    names: /target\.hostKey/,
  },
  {
    name: "hostKey pinned on a local endpoint",
    setup: runPlan(sshPlan("  transport: local\n  hostKey: SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s")),
    names: /source\.hostKey/,
  },
  {
    name: "scripted fixture folder missing",
    setup: runPlan(goodPlan().replace(`${HOSTS}/debian-12-openvz-source`, "/nonexistent/fixture")),
    names: /\/nonexistent\/fixture/,
  },
  {
    name: "scripted fixture folder without host.yaml",
    setup: async (dir) => {
      await mkdir(join(dir, "empty-fixture"));
      return [
        "run",
        await planFile(dir, goodPlan().replace(`${HOSTS}/debian-12-openvz-source`, join(dir, "empty-fixture"))),
        "--dry-run",
      ];
    },
    names: /empty-fixture\/host\.yaml/,
  },
  {
    name: "scripted fixture host.yaml without description",
    setup: async (dir) => {
      await mkdir(join(dir, "fx"));
      await writeFile(join(dir, "fx", "host.yaml"), "provenance: made up\ncommands: []\n");
      return [
        "run",
        await planFile(dir, goodPlan().replace(`${HOSTS}/debian-12-kvm-target`, join(dir, "fx"))),
        "--dry-run",
      ];
    },
    names: /fx\/host\.yaml.*description/,
  },
  { name: "unknown option", setup: runPlan(goodPlan({ options: "  maxLivePases: 2" })), names: /maxLivePases/ },
  {
    name: "option out of range",
    setup: runPlan(goodPlan({ options: "  maxLivePasses: 0" })),
    names: /options\.maxLivePasses/,
  },
  {
    name: "relative exclude",
    setup: runPlan(goodPlan({ options: "  extraExcludes: [{path: var/tmp, reason: scratch}]" })),
    names: /options\.extraExcludes/,
  },
  {
    name: "checkpoints: unknown backend",
    setup: runPlan(goodPlan({ top: "checkpoints:\n  target: {via: vmware, host: esx1.example.org}" })),
    names: /checkpoints\.target\.via/,
  },
  {
    name: "checkpoints: qmp socket not absolute",
    setup: runPlan(goodPlan({ top: "checkpoints:\n  target: {via: qmp, socket: run/qmp.sock}" })),
    names: /checkpoints\.target\.socket/,
  },
  {
    name: "checkpoints: libvirt without domain",
    setup: runPlan(goodPlan({ top: "checkpoints:\n  target: {via: libvirt, host: kvm1.example.org}" })),
    names: /checkpoints\.target\.domain/,
  },
  {
    name: "checkpoints: libvirt domain that is an option",
    setup: runPlan(goodPlan({ top: "checkpoints:\n  target: {via: libvirt, host: kvm1.example.org, domain: --all}" })),
    names: /checkpoints\.target\.domain/,
  },
  {
    name: "checkpoints: proxmox vmid below 100",
    setup: runPlan(goodPlan({ top: "checkpoints:\n  target: {via: proxmox, host: pve1.example.org, vmid: 7}" })),
    names: /checkpoints\.target\.vmid/,
  },
  {
    name: "checkpoints: vzctl host with a space",
    setup: runPlan(goodPlan({ top: "checkpoints:\n  source: {via: vzctl, host: node 1, ctid: 101}" })),
    names: /checkpoints\.source\.host/,
  },
  {
    name: "checkpoints: a target backend on the source",
    setup: runPlan(goodPlan({ top: "checkpoints:\n  source: {via: qmp, socket: /run/qmp.sock}" })),
    names: /checkpoints\.source\.via/,
  },
  {
    name: "checkpoints: misspelt side",
    setup: runPlan(goodPlan({ top: "checkpoints:\n  targte: {via: qmp, socket: /run/qmp.sock}" })),
    names: /targte/,
  },
  {
    name: "vserver plan without guest",
    setup: runPlan(
      "kind: vserver-to-openvz\nsource: {host: a.example.org}\ntarget: {host: b.example.org}\noptions: {ctid: 150}\n",
    ),
    names: /options\.guest/,
  },
  {
    name: "vserver plan with targetAddressFromSource that is an option",
    setup: runPlan(
      'kind: vserver-to-openvz\nsource: {host: a.example.org}\ntarget: {host: b.example.org}\noptions: {guest: web1, targetAddressFromSource: "-oProxyCommand=x"}\n',
    ),
    names: /options\.targetAddressFromSource/,
  },
  {
    name: "checkpoints of a vserver plan",
    setup: async (dir) => [
      "checkpoints",
      await planFile(
        dir,
        "kind: vserver-to-openvz\nsource: {host: a.example.org}\ntarget: {host: b.example.org}\noptions: {guest: web1}\n",
      ),
    ],
    names: /plan\.yaml: checkpoints apply to openvz-to-kvm migrations \(this plan is vserver-to-openvz\)$/,
  },

  // --- flags
  {
    name: "unknown flag",
    setup: async (dir) => ["run", await planFile(dir, goodPlan()), "--frobnicate"],
    names: /--frobnicate/,
  },
  {
    name: "a command's flag before the command",
    setup: async (dir) => ["--debug", "--dry-run", "run", await planFile(dir, goodPlan())],
    names: /unknown option '--dry-run'.*mudanza --debug run \S+plan\.yaml --dry-run\)$/,
  },
  {
    name: "a file whose name starts with a dash (found by a new-user trial)",
    setup: async () => ["image", "info", "-disk.qcow2"],
    names: /unknown option '-disk\.qcow2' \(if -disk\.qcow2 is a file, write it as \.\/-disk\.qcow2\)$/,
  },
  { name: "run without a plan", setup: async () => ["run"], names: /plan/ },
  { name: "unknown command", setup: async () => ["frobnicate"], names: /frobnicate/ },
  { name: "--format not md or json", setup: runPlan(goodPlan(), "--format", "xml"), names: /--format/ },
  {
    name: "--format without --dry-run",
    setup: async (dir) => ["run", await planFile(dir, goodPlan()), "--yes", "--format", "md"],
    names: /--format/,
  },
  {
    name: "neither --yes nor --dry-run without a terminal",
    setup: async (dir) => ["run", await planFile(dir, goodPlan())],
    names: /--yes/,
  },
  {
    name: "plan: unknown kind",
    setup: async () => ["plan", "xen-to-kvm", "--source", "a", "--target", "b"],
    names: /xen-to-kvm/,
  },
  {
    name: "plan: --source with a space",
    setup: async () => ["plan", "openvz-to-kvm", "--source", "a b", "--target", "b"],
    names: /--source/,
  },
  {
    name: "plan: --target that is an option",
    setup: async () => ["plan", "openvz-to-kvm", "--source", "a", "--target", "-oProxyCommand=x"],
    names: /target/,
  },
  {
    name: "plan: --source an IPv6 address without brackets",
    setup: async () => ["plan", "openvz-to-kvm", "--source", "root@2001:db8::5", "--target", "b"],
    names: /--source .*brackets: root@\[2001:db8::5\]/,
  },
  {
    name: "plan: --option with a YAML 1.1 boolean",
    setup: async () => ["plan", "openvz-to-kvm", "--source", "a", "--target", "b", "--option", "cutover=yes"],
    names: /--option "cutover=yes": cutover must be true or false, not the text "yes" \(write true, without quotes/,
  },
  {
    name: "plan: --option with one word for a list",
    setup: async () => ["plan", "openvz-to-kvm", "--source", "a", "--target", "b", "--option", "services=ssh"],
    names: /--option "services=ssh": services must be a list: \[a, b\], not the text "ssh"$/,
  },
  {
    name: "plan: --option with an IPv6 address in brackets (read as a YAML list)",
    setup: async () => [
      "plan",
      "openvz-to-kvm",
      "--source",
      "a",
      "--target",
      "b",
      "--option",
      "targetAddressFromSource=[::1]",
    ],
    names: /--option "targetAddressFromSource=\[::1\]": .*without brackets \(::1\), or quote the text\)$/,
  },
  {
    name: "plan: --option with a list item that lacks a key says which, as a plan file does (new-user trial 10)",
    setup: async () => [
      "plan",
      "openvz-to-kvm",
      "--source",
      "a",
      "--target",
      "b",
      "--option",
      "extraExcludes=[{path: /var/cache}]",
    ],
    names:
      /^mudanza: --option "extraExcludes=\[\{path: \/var\/cache\}\]": extraExcludes\.0\.reason: missing \(a string is required\)$/,
  },
  {
    name: "plan: --option with a text where a list item's mapping belongs shows the mapping (new-user trial 10)",
    setup: async () => [
      "plan",
      "openvz-to-kvm",
      "--source",
      "a",
      "--target",
      "b",
      "--option",
      "acknowledge=[target-disk-too-small]",
    ],
    names:
      /acknowledge\.0 must be a mapping: \{key: value\}, not the text "target-disk-too-small": write \{id: target-disk-too-small, reason: …\}$/,
  },
  {
    name: "plan: --option with a value that is not one of the choices names them (new-user trial 10)",
    setup: async () => ["plan", "openvz-to-kvm", "--source", "a", "--target", "b", "--option", "finalPass=partial"],
    names: /--option "finalPass=partial": finalPass: "partial" is not one of changed, full$/,
  },
  {
    name: "plan: --ctid below 101 in words, not zod's (new-user trial 10)",
    setup: async () => ["plan", "vserver-to-openvz", "--source", "a", "--target", "b", "--guest", "x", "--ctid", "100"],
    names: /^mudanza: --ctid "100": ctid must be at least 101, not the number 100$/,
  },
  {
    name: "plan: --ctid in YAML's exponent form is refused, not read as 1500 (new-user trial 10)",
    setup: async () => [
      "plan",
      "vserver-to-openvz",
      "--source",
      "a",
      "--target",
      "b",
      "--guest",
      "x",
      "--ctid",
      "1.5e3",
    ],
    names: /^mudanza: --ctid "1\.5e3": write the number in decimal digits: YAML would read "1\.5e3" as 1500$/,
  },
  {
    name: "plan: --option ctid in hex is refused, not read as 1001 (new-user trial 10)",
    setup: async () => [
      "plan",
      "vserver-to-openvz",
      "--source",
      "a",
      "--target",
      "b",
      "--guest",
      "x",
      "--option",
      "ctid=0x3e9",
    ],
    names: /^mudanza: --option "ctid=0x3e9": write the number in decimal digits: YAML would read "0x3e9" as 1001$/,
  },
  {
    name: "plan: -o with an empty name (new-user trial 10)",
    setup: async () => ["plan", "openvz-to-kvm", "--source", "a", "--target", "b", "-o", ""],
    names: /^mudanza: -o needs a file name \(or - for stdout\)$/,
  },
  {
    name: "status on a folder where a plan belongs says so, as run does (new-user trial 10)",
    setup: async (dir) => {
      await mkdir(join(dir, "dir.yaml"));
      await mkdir(join(dir, "state"));
      return ["status", join(dir, "dir.yaml"), "--state-dir", join(dir, "state")];
    },
    names: /^mudanza: plan \S+\/dir\.yaml is not a regular file \(a directory\)$/,
  },
  {
    name: "plan: -o a file name that cannot name a journal, without --name (run would refuse the plan)",
    setup: async (dir) => ["plan", "openvz-to-kvm", "--source", "a", "--target", "b", "-o", join(dir, "my plan.yaml")],
    names:
      /^mudanza: -o \S+\/my plan\.yaml: without --name the file's name names the journal, and "my plan" cannot .*give --name NAME/,
  },
  {
    name: "plan: -o a folder",
    setup: async (dir) => ["plan", "openvz-to-kvm", "--source", "a", "--target", "b", "-o", dir],
    names: /case-\d+ is a folder: .*-o \S+case-\d+\/plan\.yaml/,
  },
  {
    name: "image clone --count not a number",
    setup: async (dir) => ["image", "clone", join(dir, "base.qcow2"), "--count", "abc"],
    names: /--count/,
  },
  {
    name: "image clone without its base names the base, not only --count (new-user trial 8)",
    setup: async () => ["image", "clone"],
    names: /missing required argument 'base'/,
  },
  {
    name: "image clone with its base and without --count",
    setup: async (dir) => ["image", "clone", join(dir, "base.qcow2")],
    names: /required option '--count <n>' not specified/,
  },
  {
    name: "image clone --count 0",
    setup: async (dir) => ["image", "clone", join(dir, "base.qcow2"), "--count", "0"],
    names: /--count/,
  },
  {
    name: "plan with a kind it does not know names the kinds (found by a new-user trial)",
    setup: async () => ["plan", "kvm-to-openvz"],
    names: /unknown command 'kvm-to-openvz' \(mudanza plan takes openvz-to-kvm, vserver-to-openvz\)/,
  },
  {
    name: "image clone --count -1 (found by a new-user trial: said only 'must be a whole number')",
    setup: async (dir) => ["image", "clone", join(dir, "base.qcow2"), "--count", "-1"],
    names: /--count must be a whole number, not negative \(got "-1"\)/,
  },
  {
    name: "image clone: --name starting with a dash (found by a new-user trial)",
    setup: async (dir) => {
      await writeFile(join(dir, "base.qcow2"), "");
      return ["image", "clone", join(dir, "base.qcow2"), "--count", "1", "--name", "-rf{n}", "--dry-run"];
    },
    names: /clone name "-rf1" .*must start with a letter or digit/,
  },
  {
    name: "image clone: --name with a newline (found by a new-user trial: the message split across lines)",
    setup: async (dir) => {
      await writeFile(join(dir, "base.qcow2"), "");
      return ["image", "clone", join(dir, "base.qcow2"), "--count", "1", "--name", "x\ny{n}", "--dry-run"];
    },
    names: /clone name "x\\x0ay1" \(from --name x\\x0ay\{n\}\)/,
  },
  {
    name: "image clone: --name with a newline and without {n}",
    setup: async (dir) => {
      await writeFile(join(dir, "base.qcow2"), "");
      return ["image", "clone", join(dir, "base.qcow2"), "--count", "2", "--name", "x\ny", "--dry-run"];
    },
    names: /--name "x\\x0ay" needs \{n\}/,
  },
  {
    name: "image info: disk missing, its name with a newline",
    setup: async (dir) => ["image", "info", join(dir, "x\ny.qcow2")],
    names: /x\\x0ay\.qcow2: no such file/,
  },
  {
    name: "run off a terminal without --yes or --dry-run",
    setup: async (dir) => ["run", await planFile(dir, goodPlan())],
    names: /pass --yes to accept them, or --dry-run to only check/,
  },
  {
    // Before the terminal check: it says what the user meant (found by a new-user trial).
    name: "--format without --dry-run",
    setup: async (dir) => ["run", await planFile(dir, goodPlan()), "--format", "json"],
    names: /--format applies to --dry-run reports/,
  },
  {
    name: "host doctor --vm-memory empty is said as empty, not as a missing pair (new-user trial 10)",
    setup: async () => [
      "host",
      "doctor",
      "--openvz-conf",
      resolve("fixtures/kvm/openvz/ve-vswap-1024m.conf-sample"),
      "--vm-memory",
      "",
    ],
    names: /^mudanza: --vm-memory is empty: write a size, e\.g\. 2G$/,
  },
  {
    // host doctor has no --dry-run: it only checks without --enable-ksm (found by a new-user trial).
    name: "host doctor --enable-ksm off a terminal",
    setup: async () => ["host", "doctor", "--enable-ksm"],
    names: /pass --yes to accept them, or leave out --enable-ksm to only check/,
  },
  {
    // --format was hidden and ignored (new-user trial 10, finding 9): now the report's format, one stdout each.
    name: "host doctor --json with --format json",
    setup: async () => ["host", "doctor", "--json", "--format", "json"],
    names: /--json \(the events\) and --format json \(the report\) both want stdout: choose one/,
  },
  {
    name: "host doctor --enable-ksm with --format json",
    setup: async () => ["host", "doctor", "--enable-ksm", "--yes", "--format", "json"],
    names: /--format json is the checks' report alone: leave out --enable-ksm, or follow --enable-ksm with --json/,
  },
  {
    name: "host doctor --format md (a dry-run report's format, not the doctor's)",
    setup: async () => ["host", "doctor", "--format", "md"],
    names: /--format.*'md' is invalid.*text, json/,
  },
  {
    // Checked like image clone's (found by a new-user trial: "b r;x" was looked for, and printed in the fix unquoted).
    name: "host doctor --bridge that is no interface name",
    setup: async () => ["host", "doctor", "--bridge", "b r;x"],
    names:
      /^mudanza: --bridge "b r;x" is not an interface name \(at most 15 letters, digits, \. _ -, not starting with -\)$/,
  },
  {
    // The kernel refuses ":" in a name (old alias syntax); "-br0" would be an option to the `ip link add` fix.
    name: "host doctor --bridge with a colon",
    setup: async () => ["host", "doctor", "--bridge", "br0:1"],
    names: /--bridge "br0:1" is not an interface name/,
  },
  {
    name: "image clone --bridge starting with -",
    setup: async (dir) => ["image", "clone", join(dir, "base.qcow2"), "--count", "1", "--bridge=-br0"],
    names: /--bridge "-br0" is not an interface name/,
  },
  {
    name: "host doctor --bridge ..",
    setup: async () => ["host", "doctor", "--bridge", ".."],
    names: /--bridge "\.\." is not an interface name/,
  },
  {
    // Found by a new-user trial: --no-bridge won without a word.
    name: "host doctor --bridge with --no-bridge",
    setup: async () => ["host", "doctor", "--bridge", "br1", "--no-bridge"],
    names: /--bridge and --no-bridge contradict each other: --bridge NAME checks that bridge, --no-bridge checks none$/,
  },
  {
    name: "host doctor --no-bridge with --bridge",
    setup: async () => ["host", "doctor", "--no-bridge", "--bridge", "br1"],
    names: /--bridge and --no-bridge contradict each other/,
  },
  {
    name: "host doctor --openvz-conf without --vm-memory",
    setup: async (dir) => ["host", "doctor", "--openvz-conf", join(dir, "101.conf")],
    names: /--vm-memory/,
  },

  // --- journal
  { name: "empty journal", setup: withJournal("", "--yes"), names: /catalogue\.journal\.json.*--restart/ },
  {
    name: "truncated journal",
    setup: withJournal('{"version":1,"migrationId":"catal', "--yes"),
    names: /catalogue\.journal\.json.*--restart/,
  },
  {
    name: "garbage journal",
    setup: withJournal("\u0000\u0001garbage", "--dry-run"),
    names: /catalogue\.journal\.json.*--restart/,
  },
  {
    name: "JSON that is not a journal",
    setup: withJournal('{"version":7}', "--yes"),
    names: /catalogue\.journal\.json.*--restart/,
  },
  {
    name: "journal path is a directory",
    setup: async (dir) => {
      await mkdir(join(dir, "state", "catalogue.journal.json"), { recursive: true });
      return ["run", await planFile(dir, goodPlan()), "--dry-run", "--state-dir", join(dir, "state")];
    },
    names: /catalogue\.journal\.json/,
  },
  {
    name: "status with a garbage journal",
    setup: async (dir) => {
      await mkdir(join(dir, "state"));
      await writeFile(join(dir, "state", "catalogue.journal.json"), "{{{");
      return ["status", await planFile(dir, goodPlan()), "--state-dir", join(dir, "state")];
    },
    names: /catalogue\.journal\.json.*--restart/,
  },
  {
    name: "status before any run",
    setup: async (dir) => {
      // The state dir exists (a missing one given by --state-dir is a typo of its own).
      await mkdir(join(dir, "state"));
      return ["status", await planFile(dir, goodPlan()), "--state-dir", join(dir, "state")];
    },
    names: /catalogue.*not run with this state dir/,
  },

  // --- state dir
  {
    name: "--state-dir is a file (run)",
    setup: async (dir) => {
      await writeFile(join(dir, "afile"), "x");
      return ["run", await planFile(dir, goodPlan()), "--yes", "--state-dir", join(dir, "afile")];
    },
    names: /afile.*not a directory/,
  },
  {
    name: "--state-dir is a file (dry run)",
    setup: async (dir) => {
      await writeFile(join(dir, "afile"), "x");
      return ["run", await planFile(dir, goodPlan()), "--dry-run", "--state-dir", join(dir, "afile")];
    },
    names: /afile.*not a directory/,
  },
  {
    name: "--state-dir under a file",
    setup: async (dir) => {
      await writeFile(join(dir, "afile"), "x");
      return ["run", await planFile(dir, goodPlan()), "--yes", "--state-dir", join(dir, "afile", "state")];
    },
    names: /afile.*not a directory/,
  },
  {
    name: "--state-dir in /proc (no hang)",
    setup: async (dir) => ["run", await planFile(dir, goodPlan()), "--yes", "--state-dir", "/proc/mudanza-state"],
    names: /\/proc\/mudanza-state/,
  },
  {
    name: "--state-dir an unwritable directory",
    setup: async (dir) => ["run", await planFile(dir, goodPlan()), "--yes", "--state-dir", "/proc/1"],
    names: /\/proc\/1/,
  },
  // A --json dry run writes its report there at its end: found before any event, not after one saying exit 0.
  {
    name: "--state-dir in /proc, --json dry run (found by a new-user trial)",
    setup: async (dir) => [
      "run",
      await planFile(dir, goodPlan()),
      "--dry-run",
      "--json",
      "--state-dir",
      "/proc/mudanza-state",
    ],
    names: /\/proc\/mudanza-state.*name a folder you can write with --state-dir DIR$/,
  },
  {
    name: "--state-dir an unwritable directory, --json dry run",
    setup: async (dir) => ["run", await planFile(dir, goodPlan()), "--dry-run", "--json", "--state-dir", "/proc/1"],
    names: /\/proc\/1.*name a folder you can write with --state-dir DIR$/,
  },
  {
    name: "image sparsify --state-dir a file",
    setup: async (dir) => {
      await writeFile(join(dir, "disk.qcow2"), "");
      await writeFile(join(dir, "afile"), "x");
      return ["image", "sparsify", join(dir, "disk.qcow2"), "--yes", "--state-dir", join(dir, "afile")];
    },
    names: /afile.*not a directory/,
  },

  // --- image commands
  {
    name: "image sparsify: disk missing",
    setup: async (dir) => ["image", "sparsify", join(dir, "web1.qcow2"), "--yes"],
    names: /web1\.qcow2/,
  },
  {
    name: "image sparsify: disk missing (dry run)",
    setup: async (dir) => ["image", "sparsify", join(dir, "web1.qcow2"), "--dry-run"],
    names: /web1\.qcow2/,
  },
  {
    name: "image sparsify: disk is a directory",
    setup: async (dir) => ["image", "sparsify", dir, "--dry-run"],
    names: /case-\d+.*not a/,
  },
  {
    name: "image sparsify: --out is the disk",
    setup: async (dir) => {
      await writeFile(join(dir, "disk.qcow2"), "");
      return ["image", "sparsify", join(dir, "disk.qcow2"), "--out", join(dir, "disk.qcow2"), "--dry-run"];
    },
    names: /--out/,
  },
  {
    name: "image clone: base missing",
    setup: async (dir) => ["image", "clone", join(dir, "base.qcow2"), "--count", "2", "--yes"],
    names: /base\.qcow2/,
  },
  {
    name: "image clone: --name without {n}",
    setup: async (dir) => {
      await writeFile(join(dir, "base.qcow2"), "");
      return ["image", "clone", join(dir, "base.qcow2"), "--count", "2", "--name", "web", "--dry-run"];
    },
    names: /--name/,
  },
  {
    name: "image info: disk missing",
    setup: async (dir) => ["image", "info", join(dir, "lab1.qcow2")],
    names: /lab1\.qcow2/,
  },
  {
    name: "host doctor: --openvz-conf with a value vzctl would not take (found by a new-user trial: a blocker after 20 s)",
    setup: async (dir) => {
      await writeFile(join(dir, "101.conf"), 'PHYSPAGES="garbage"\nSWAPPAGES="0:0"\n');
      return ["host", "doctor", "--openvz-conf", join(dir, "101.conf"), "--vm-memory", "2G"];
    },
    names: /101\.conf: PHYSPAGES="garbage" is not a vzctl value/,
  },
  {
    name: "host doctor: --openvz-conf without memory limits",
    setup: async (dir) => {
      await writeFile(join(dir, "101.conf"), 'ONBOOT="yes"\nHOSTNAME="web1"\n');
      return ["host", "doctor", "--openvz-conf", join(dir, "101.conf"), "--vm-memory", "2G"];
    },
    names: /101\.conf: no memory limits found/,
  },
  {
    name: "host doctor: --openvz-conf missing",
    setup: async (dir) => ["host", "doctor", "--openvz-conf", join(dir, "101.conf"), "--vm-memory", "2G"],
    names: /101\.conf/,
  },
];
