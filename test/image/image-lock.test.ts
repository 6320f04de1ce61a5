import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/program.js";
import { lockImage } from "../../src/cli/image-lock.js";
import { identify } from "../../src/hosts/process-identity.js";

let dir: string;
let state: string;
let base: string;
let holder: ChildProcess | undefined;
const said: string[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-image-lock-"));
  state = join(dir, "state");
  base = join(dir, "base.qcow2");
  execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", base, "8M"]);
  said.length = 0;
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
});
afterEach(async () => {
  vi.restoreAllMocks();
  holder?.kill("SIGKILL");
  holder = undefined;
  await rm(dir, { recursive: true, force: true });
});

const run = (...argv: string[]): Promise<number> => main(argv, (t) => said.push(t));

/** The image's lock, held as another live process would hold it (a run in progress). */
async function heldByAnotherRun(image: string): Promise<void> {
  holder = spawn("sleep", ["60"], { stdio: "ignore" });
  const lock = await lockImage(image, state);
  const other = identify(holder.pid!)!;
  await writeFile(
    lock.path,
    JSON.stringify({ ...other, since: new Date().toISOString(), command: "mudanza image clone base.qcow2" }),
  );
}

describe("one changing image run at a time on a disk (new-user trial 8, finding 4)", () => {
  it("a clone run on a base another run works on, named through a link, is refused before anything changes", async () => {
    await heldByAnotherRun(base);
    const link = join(dir, "link.qcow2");
    await symlink(base, link);
    const modeBefore = (await stat(base)).mode;
    expect(await run("image", "clone", link, "--count", "1", "--name", "lab{n}", "--yes", "--state-dir", state)).toBe(
      75,
    );
    expect(said.join("\n")).toContain(`another run works on ${base}`);
    expect((await stat(base)).mode).toBe(modeBefore);
    await expect(stat(join(dir, "lab1.qcow2"))).rejects.toThrow();
    // A dry run changes nothing: it needs no lock.
    expect(
      await run("image", "clone", base, "--count", "1", "--name", "lab{n}", "--dry-run", "--state-dir", state),
    ).toBe(0);
  });

  it("once the other run is gone, its lock is stale and the run goes ahead", async () => {
    await heldByAnotherRun(base);
    holder!.kill("SIGKILL");
    await new Promise((done) => holder!.once("exit", done));
    expect(await run("image", "clone", base, "--count", "1", "--name", "lab{n}", "--yes", "--state-dir", state)).toBe(
      0,
    );
    await stat(join(dir, "lab1.qcow2"));
    // Released at the end: the next run need not find it stale.
    expect((await readdir(state)).filter((f) => /^image-[0-9a-f]+\.lock$/.test(f))).toEqual([]);
  });
});
