import { createHash } from "node:crypto";
import { lstat, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/program.js";
import { BAD_INPUTS } from "./bad-input-cases.js";

/** Every entry under `root`: type, mode, size, mtime and a hash of each regular file's content. */
async function snapshot(root: string): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      const s = await lstat(path);
      const content = s.isFile()
        ? createHash("sha256")
            .update(await readFile(path))
            .digest("hex")
        : "";
      seen.set(path, `${s.mode.toString(8)} ${s.size} ${s.mtimeMs} ${content}`);
      if (s.isDirectory()) await walk(path);
    }
  };
  await walk(root);
  return seen;
}

describe("bad input: exit 2, one line naming the field or file, nothing written", () => {
  let root: string;
  const savedXdg = process.env.XDG_STATE_HOME;
  let caseNumber = 0;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "mudanza-bad-input-"));
    // The default state dir (commands without --state-dir) lies inside the snapshot too.
    process.env.XDG_STATE_HOME = join(root, "xdg-state");
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(async () => {
    if (savedXdg === undefined) delete process.env.XDG_STATE_HOME;
    else process.env.XDG_STATE_HOME = savedXdg;
    await rm(root, { recursive: true, force: true });
  });

  it("has at least 40 cases", () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(40);
  });

  it.each(BAD_INPUTS.map((c) => [c.name, c] as const))("%s", async (_name, testCase) => {
    const dir = join(root, `case-${++caseNumber}`);
    await mkdir(dir);
    const argv = await testCase.setup(dir);
    const before = await snapshot(root);
    let output = "";
    let stdout = "";
    vi.spyOn(process.stderr, "write").mockImplementation(
      (chunk: string | Uint8Array) => ((output += String(chunk)), true),
    );
    vi.spyOn(process.stdout, "write").mockImplementation(
      (chunk: string | Uint8Array) => ((stdout += String(chunk)), true),
    );
    const code = await main(argv, (text) => {
      output += text;
    });
    vi.restoreAllMocks();
    // --json: stdout holds events only, here the one end event that says the same (json-end-before-run.test.ts;
    // a usage error, caught before the command is known, would write none).
    if (argv.includes("--json")) {
      const end = JSON.parse(stdout) as { type: string; exitCode: number; message: string };
      expect(end).toMatchObject({ type: "pipeline-end", exitCode: 2 });
      expect(`mudanza: ${end.message}`).toBe(output.trimEnd());
    } else output += stdout;
    const lines = output.trimEnd().split("\n");
    expect({ code, output }).toMatchObject({ code: 2 });
    expect(lines, output).toHaveLength(1);
    expect(lines[0]).toMatch(testCase.names);
    expect(output).not.toMatch(/internal error|\n\s+at /);
    // No raw control characters from the input reach the terminal (an escape could rewrite the screen).
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    expect(output.trimEnd()).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(await snapshot(root)).toEqual(before);
  });
});
