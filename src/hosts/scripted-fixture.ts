import { readFile, readdir, lstat, readlink } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { BadInputError } from "../errors.js";
import { ScriptedHost } from "./scripted-host.js";

/**
 * A scripted host described on disk: `host.yaml` names a tree of real files (copied from real systems)
 * and the output real commands printed there. Formats are documented in fixtures/README.md.
 */
const commandSchema = z
  .object({
    run: z.string().optional(),
    pattern: z.string().optional(),
    stdout: z.string().optional(),
    stdoutFile: z.string().optional(),
    stderr: z.string().optional(),
    code: z.number().int().default(0),
    mutates: z.boolean().default(false),
  })
  .refine((c) => (c.run === undefined) !== (c.pattern === undefined), {
    message: "each command needs exactly one of run or pattern",
  });

export const hostFixtureSchema = z.object({
  description: z.string(),
  provenance: z.string(),
  extends: z.string().optional(),
  files: z.string().optional(),
  commands: z.array(commandSchema).default([]),
});

export async function loadScriptedHost(fixtureDir: string, role: string): Promise<ScriptedHost> {
  const host = new ScriptedHost(role, `scripted:${fixtureDir}`);
  await applyFixture(host, resolve(fixtureDir));
  return host;
}

/** host.yaml read and checked; a missing or broken one is bad input naming the file and the field. */
async function readSpec(dir: string): Promise<z.infer<typeof hostFixtureSchema>> {
  const file = join(dir, "host.yaml");
  let parsed: unknown;
  try {
    parsed = parseYaml(await readFile(file, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "missing (a scripted fixture folder needs one)"
        : (code ?? (error as Error).message.split("\n")[0]);
    throw new BadInputError(`scripted host fixture ${file}: ${why}`);
  }
  const result = hostFixtureSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new BadInputError(
      `scripted host fixture ${file}: ${issue.path.join(".") || "(top level)"}: ${issue.message}`,
    );
  }
  return result.data;
}

async function applyFixture(host: ScriptedHost, dir: string): Promise<void> {
  const spec = await readSpec(dir);
  if (spec.extends) await applyFixture(host, resolve(dir, spec.extends));
  if (spec.files) await loadTree(host, join(dir, spec.files));
  for (const command of spec.commands) {
    const stdout = command.stdoutFile ? await readFile(join(dir, command.stdoutFile), "utf8") : command.stdout;
    const match = command.run ?? new RegExp(command.pattern!);
    host.on(match, { code: command.code, stdout, stderr: command.stderr }, { mutates: command.mutates });
  }
}

async function loadTree(host: ScriptedHost, root: string): Promise<void> {
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir)) {
      const full = join(dir, entry);
      const path = "/" + relative(root, full);
      const s = await lstat(full);
      if (s.isSymbolicLink()) host.putSymlink(path, await readlink(full));
      else if (s.isDirectory()) {
        host.putDir(path, s.mode & 0o7777);
        await walk(full);
      } else host.putFile(path, await readFile(full, "utf8"), { mode: s.mode & 0o7777 });
    }
  };
  await walk(root);
}
