import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { shellQuote } from "../../src/hosts/quote.js";
import { useTempDirs } from "../support/temp-dirs.js";

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const tempDir = useTempDirs();
let bashScript = "";
let zshScript = "";

beforeAll(async () => {
  const cli = (shell: string) =>
    exec(process.execPath, [join(ROOT, "bin/mudanza.js"), "completion", shell]).then((r) => r.stdout);
  [bashScript, zshScript] = await Promise.all([cli("bash"), cli("zsh")]);
});

/** Runs the printed script in bash as completion would: COMP_WORDS and COMP_CWORD set, COMPREPLY read back. */
async function complete(line: string): Promise<string[]> {
  const cwd = await tempDir("mudanza-complete-");
  await Promise.all([
    writeFile(join(cwd, "web1.yaml"), ""),
    writeFile(join(cwd, "db1.yml"), ""),
    writeFile(join(cwd, "notes.txt"), ""),
    mkdir(join(cwd, "state")),
  ]);
  await writeFile(join(cwd, "completion.bash"), bashScript);
  const words = line.split(" ");
  const program = `source completion.bash; COMP_WORDS=(${words.map(shellQuote).join(" ")}); COMP_CWORD=${words.length - 1}; _mudanza; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await exec("bash", ["-c", program], { cwd });
  return stdout.split("\n").filter(Boolean).sort();
}

describe("mudanza completion bash (issue 14)", () => {
  it("subcommands, then plan kinds", async () => {
    expect(await complete("mudanza ")).toEqual([
      "checkpoints",
      "completion",
      "demo",
      "host",
      "image",
      "plan",
      "rollback",
      "run",
      "runs",
      "schema",
      "status",
    ]);
    expect(await complete("mudanza plan ")).toEqual(["openvz-to-kvm", "vserver-to-openvz"]);
    expect(await complete("mudanza image s")).toEqual(["sparsify"]);
  });

  it("a plan path completes to YAML files and folders only; a disk to any file", async () => {
    expect(await complete("mudanza run ")).toEqual(["db1.yml", "state", "web1.yaml"]);
    expect(await complete("mudanza status w")).toEqual(["web1.yaml"]);
    expect(await complete("mudanza image info ")).toEqual([
      "completion.bash",
      "db1.yml",
      "notes.txt",
      "state",
      "web1.yaml",
    ]);
  });

  it("flags of the subcommand typed so far, global flags included, whatever came before", async () => {
    const run = await complete("mudanza --debug run web1.yaml --");
    expect(run).toContain("--dry-run");
    expect(run).toContain("--debug");
    expect(run).not.toContain("--guest");
    expect(await complete("mudanza plan vserver-to-openvz --g")).toEqual(["--guest"]);
    expect(await complete("mudanza plan openvz-to-kvm --g")).toEqual([]); // --guest is the other kind's
  });

  it("a flag's value: its choices, or folders for a folder; a value already given is skipped", async () => {
    expect(await complete("mudanza run --format ")).toEqual(["json", "md"]);
    expect(await complete("mudanza run --format=j")).toEqual(["json"]);
    expect(await complete("mudanza run --state-dir ")).toEqual(["state"]);
    expect(await complete("mudanza run --state-dir state w")).toEqual(["web1.yaml"]);
    expect(await complete("mudanza schema ")).toEqual([
      "checkpoints",
      "dry-run-report",
      "events",
      "host-doctor",
      "image-info",
      "runs",
      "status",
    ]);
    expect(await complete("mudanza completion ")).toEqual(["bash", "zsh"]);
  });

  it("zsh gets the same script through bashcompinit", () => {
    expect(zshScript).toMatch(/^#compdef mudanza\n/);
    expect(zshScript).toContain("bashcompinit");
    expect(zshScript).toContain(bashScript);
  });
});
