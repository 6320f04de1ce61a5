import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/program.js";
import { kindDocs, optionDocs, optionsMarkdown } from "../../src/plan/kind-docs.js";
import { loadPlan } from "../../src/plan/load.js";
import { planKinds } from "../../src/plan/schema.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-plan-"));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

async function runCli(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  let stderr = "";
  let stdout = "";
  // commander prints help and its own errors straight to the process streams
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const code = await main(args, (t) => {
    stderr += t;
  });
  vi.restoreAllMocks();
  return { code, stderr, stdout };
}

const KEY = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";

describe("mudanza plan KIND", () => {
  it("writes a relative --identity-file as the absolute path it meant here (a plan is read from its own folder)", async () => {
    const out = join(dir, "sub", "web1.yaml");
    await mkdir(join(dir, "sub"));
    const args = ["plan", "openvz-to-kvm", "--source", "root@a.example.org", "--target", "root@b.example.org"];
    const { code, stderr } = await runCli([...args, "--identity-file", "keys/migrate", "-o", out]);
    // the key is not there: written all the same, with a warning (new-user trial 8: not a word was said)
    expect(stderr).toBe(
      `mudanza: warning: --identity-file ${join(process.cwd(), "keys/migrate")} does not exist; the run reads the key there\n` +
        `mudanza: wrote ${out}; check it with: mudanza run ${out} --dry-run\n`,
    );
    expect(code).toBe(0);
    expect(await readFile(out, "utf8")).toContain(`identityFile: ${join(process.cwd(), "keys/migrate")}`);
    expect((await loadPlan(out)).plan.source.identityFile).toBe(join(process.cwd(), "keys/migrate"));
  });

  it("warns of a --identity-file that is a folder or under ~ and missing, and says nothing of one that exists (new-user trial 8)", async () => {
    const args = ["plan", "openvz-to-kvm", "--source", "a.example.org", "--target", "b.example.org"];
    const folder = await runCli([...args, "--identity-file", dir]);
    expect(folder.code).toBe(0);
    expect(folder.stdout).toContain(`identityFile: ${dir}`);
    expect(folder.stderr).toBe(
      `mudanza: warning: --identity-file ${dir} is a folder, not a key file; the run reads the key there\n`,
    );
    vi.stubEnv("HOME", dir);
    try {
      const home = await runCli([...args, "--identity-file", "~/.ssh/nope"]);
      expect(home.stderr).toContain(`--identity-file ${dir}/.ssh/nope does not exist`);
      await writeFile(join(dir, "key"), "");
      expect((await runCli([...args, "--identity-file", "~/key"])).stderr).toBe("");
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("writes a commented openvz-to-kvm plan: every option with its text and default, what source and target are", async () => {
    const out = join(dir, "web1.yaml");
    const key = join(dir, "migrate");
    await writeFile(key, "", { mode: 0o600 });
    const args = [
      "plan",
      "openvz-to-kvm",
      "--source",
      "root@old.example.org",
      "--target",
      "admin@new.example.org:2222",
      "-o",
      out,
    ];
    const { code, stderr } = await runCli([
      ...args,
      "--sudo",
      "--identity-file",
      key,
      "--target-host-key",
      KEY,
      "--option",
      "skipPreUpdate=true",
      "--option",
      "databases=[redis-server]",
    ]);
    expect(stderr).toBe(`mudanza: wrote ${out}; check it with: mudanza run ${out} --dry-run\n`);
    expect(code).toBe(0);
    const text = await readFile(out, "utf8");
    for (const option of optionDocs("openvz-to-kvm")) expect(text).toContain(`# ${option.description}`);
    expect(text).toContain("# source: the container itself, through its own sshd");
    expect(text).toContain("same distribution and point release");
    expect(text).toMatch(/^ {2}maxLivePasses: 4$/m);
    expect(text).toMatch(/^ {2}skipPreUpdate: true {3}# default: false$/m);
    const { plan } = await loadPlan(out);
    expect(plan.options).toMatchObject({ skipPreUpdate: true, databases: ["redis-server"] });
    expect(plan.target).toMatchObject({
      user: "admin",
      port: 2222,
      sudo: true,
      identityFile: key,
      hostKey: KEY,
    });
    expect(plan.source.hostKey).toBeUndefined();
  });

  it("says what source and target are for vserver-to-openvz", async () => {
    const out = join(dir, "db1.yaml");
    expect(
      (
        await runCli([
          "plan",
          "vserver-to-openvz",
          "--source",
          "vs",
          "--target",
          "ovz",
          "--guest",
          "db1",
          "--ctid",
          "5001",
          "-o",
          out,
        ])
      ).code,
    ).toBe(0);
    const text = await readFile(out, "utf8");
    expect(text).toContain("# source: the VServer host");
    expect(text).toContain("# target: the OpenVZ node");
    expect((await loadPlan(out)).plan.options).toMatchObject({ guest: "db1", ctid: 5001 });
  });

  it("names the flag behind a bad value, a missing option and an unknown option", async () => {
    const base = ["--source", "a", "--target", "b"];
    const ctid = await runCli(["plan", "vserver-to-openvz", ...base, "--guest", "db1", "--ctid", "abc"]);
    expect(ctid.code).toBe(2);
    expect(ctid.stderr).toContain('--ctid "abc"');
    expect(ctid.stderr).not.toContain("generated plan");
    expect((await runCli(["plan", "vserver-to-openvz", ...base])).stderr).toContain("--guest is required");
    for (const guest of ["..", "-rf"]) {
      const out = join(dir, "g.yaml");
      const bad = await runCli(["plan", "vserver-to-openvz", ...base, "--option", `guest=${guest}`, "-o", out]);
      expect(bad.code, guest).toBe(2);
      expect(bad.stderr, guest).toContain("must start with a letter or digit");
      await expect(readFile(out, "utf8")).rejects.toThrow(/ENOENT/);
    }
    const unknown = await runCli(["plan", "openvz-to-kvm", ...base, "--option", "maxPasses=3"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no option "maxPasses"');
    const range = await runCli(["plan", "openvz-to-kvm", ...base, "--option", "maxLivePasses=20"]);
    expect(range.stderr).toContain('--option "maxLivePasses=20"');
    // in words, not zod's "Too big: expected number to be <=10" (found by a new-user trial)
    expect(range.stderr).toContain("got 20: write a whole number of passes from 1 to 10");
    expect(range.stderr).not.toMatch(/Too (big|small)/);
    // an empty entry breaks two rules of a unit name: said once, as in a plan file (new-user trial 10)
    const empty = await runCli(["plan", "openvz-to-kvm", ...base, "--option", 'services=[""]']);
    expect(empty.stderr).toBe(
      'mudanza: --option "services=[\\"\\"]": services.0 is empty: write a systemd unit name, or remove the entry\n',
    );
    expect((await runCli(["plan", "openvz-to-kvm", ...base, "--target-host-key", "MD5:xx"])).stderr).toContain(
      "--target-host-key",
    );
  });

  it("says what it wrote and the dry run that checks it, the path quoted for a shell (found by a new-user trial: it said nothing)", async () => {
    const out = join(dir, "web 1's.yaml");
    const args = ["plan", "openvz-to-kvm", "--source", "a", "--target", "b", "--name", "web1", "-o", out];
    const { code, stdout, stderr } = await runCli(args);
    expect({ code, stdout }).toEqual({ code: 0, stdout: "" });
    const quoted = `'${dir}/web 1'\\''s.yaml'`;
    expect(stderr).toBe(`mudanza: wrote ${out}; check it with: mudanza run ${quoted} --dry-run\n`);
    // The command it gives is one a shell runs as it is.
    expect(execFileSync("sh", ["-c", `printf %s ${quoted}`], { encoding: "utf8" })).toBe(out);
    expect(await readFile(out, "utf8")).toContain("name: web1");
    // Without -o the plan is the output, on stdout, and nothing else is said.
    const printed = await runCli(args.slice(0, -2));
    expect(printed.stderr).toBe("");
    expect(printed.stdout).toContain("kind: openvz-to-kvm");
  });

  it("the command it gives names the file it wrote: a tab in the name, a name starting with '-'; -o - is stdout (found by a new-user trial)", async () => {
    const base = ["plan", "openvz-to-kvm", "--source", "a", "--target", "b", "--name", "web1", "-o"];
    const tabbed = join(dir, "tab\tb.yaml");
    const said = (await runCli([...base, tabbed])).stderr;
    const command = /check it with: mudanza run (.*) --dry-run\n$/.exec(said)?.[1] ?? "";
    expect(said).toContain(`wrote ${dir}/tab\\x09b.yaml;`);
    expect(execFileSync("bash", ["-c", `printf %s ${command}`], { encoding: "utf8" })).toBe(tabbed);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect((await runCli([...base, "-dash.yaml"])).stderr).toContain(
        "check it with: mudanza run ./-dash.yaml --dry-run",
      );
      const printed = await runCli([...base, "-"]);
      expect(printed.stdout).toContain("kind: openvz-to-kvm");
      expect(printed.stderr).toBe("");
      expect(existsSync(join(dir, "-"))).toBe(false);
    } finally {
      process.chdir(cwd);
    }
  });

  it("names --name, not the -o file it never wrote, when the name cannot name a journal", async () => {
    const out = join(dir, "n1.yaml");
    const args = ["plan", "openvz-to-kvm", "--source", "a", "--target", "b", "-o", out];
    const bad = await runCli([...args, "--name", "../../etc/evil"]);
    expect(bad).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'mudanza: --name "../../etc/evil": letters, digits, dot, underscore, dash; at most 64, not starting with a dot (it names the journal)\n',
    });
    await expect(readFile(out, "utf8")).rejects.toThrow(/ENOENT/);
  });

  it("without a kind is bad input with the usage on stderr (nothing for `> x.yaml`); --help and `help plan` exit 0 on stdout", async () => {
    const missing = await runCli(["plan"]);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toContain("Usage: mudanza plan");
    for (const asked of [
      ["plan", "--help"],
      ["help", "plan"],
    ]) {
      const help = await runCli(asked);
      expect(help.code, asked.join(" ")).toBe(0);
      expect(help.stdout, asked.join(" ")).toContain("Usage: mudanza plan");
      expect(help.stderr, asked.join(" ")).toBe("");
    }
    const root = await runCli(["help"]);
    expect(root.code).toBe(0);
    expect(root.stdout).toContain("Usage: mudanza");
  });

  it("refuses another kind's flags instead of ignoring them", async () => {
    const { code, stderr } = await runCli([
      "plan",
      "openvz-to-kvm",
      "--source",
      "a",
      "--target",
      "b",
      "--guest",
      "x",
      "--ctid",
      "5000",
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain("--guest applies to vserver-to-openvz plans, not openvz-to-kvm");
    expect(stderr).toContain("--ctid applies to vserver-to-openvz");
  });

  it("lists each kind's options in --help and in the README, from the same descriptions", async () => {
    const readme = await readFile(join(import.meta.dirname, "../../README.md"), "utf8");
    for (const kind of planKinds) {
      const help = await runCli(["plan", kind, "--help"]);
      expect(help.code).toBe(0);
      for (const option of optionDocs(kind)) expect(help.stdout.replace(/\s+/g, " ")).toContain(option.description);
      expect(help.stdout).toContain(kindDocs[kind].target);
      expect(help.stdout).toContain("Example:");
      // a repeatable flag has no default to show (new-user trial 12 saw "(default: [])")
      expect(help.stdout).not.toContain("(default: [])");
      expect(readme).toContain(optionsMarkdown(kind));
    }
  });
});
