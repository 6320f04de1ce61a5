/**
 * ssh2 is CommonJS. Vitest's module interop accepts imports that Node's own ESM loader (what `mudanza` runs
 * under) rejects, e.g. `import { utils } from "ssh2"`. So load the ssh host code the way the CLI does,
 * in a separate tsx process, and exercise the ssh2 calls that need the CommonJS exports.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-esm-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("SshHost and its ssh2 key parsing load under Node's ESM loader", async () => {
  const key = join(dir, "id_ed25519");
  await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  const script = join(dir, "load.mts");
  const src = (path: string) => JSON.stringify(resolve("src/hosts/ssh", path));
  await writeFile(
    script,
    [
      `import { SshHost } from ${src("ssh-host.ts")};`,
      `import { planAuthentication } from ${src("auth.ts")};`,
      `const plan = await planAuthentication({ user: "root", identityFiles: [${JSON.stringify(key)}], identityFilesConfigured: true, identitiesOnly: false, who: "t" }, undefined);`,
      `console.log(typeof SshHost.connect, plan.offered.join(","));`,
    ].join("\n"),
  );
  const { stdout } = await execa(resolve("node_modules/.bin/tsx"), [script]);
  expect(stdout.trim()).toBe(`function key file ${key}`);
});
