import { execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/program.js";
import { expectValid, validatorOf } from "../support/printed-schema.js";

let dir: string;
let out: string[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-cli-"));
  out = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const errors: string[] = [];
const run = (...argv: string[]): Promise<number> => main(argv, (t) => errors.push(t));

/**
 * The CLI from the sources in a process of its own, as an account that cannot read every file: root here
 * reads a mode 000 file whatever its mode, so as root it runs without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH.
 */
const runWithoutReadingEverything = (...argv: string[]) => {
  const cli = [process.execPath, "--import", "tsx", "src/cli/main.ts", ...argv];
  const noOverride = "-dac_override,-dac_read_search";
  const [file, ...args] =
    process.getuid?.() === 0 ? ["setpriv", "--bounding-set", noOverride, "--inh-caps", noOverride, ...cli] : cli;
  return execa(file!, args, { reject: false, env: { XDG_STATE_HOME: join(dir, "state") } });
};

/** What the command says on stderr from now on (beforeEach's spy only silences it), chunk by chunk. */
function captureStderr(): string[] {
  const said: string[] = [];
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    said.push(String(chunk));
    return true;
  });
  return said;
}

describe("mudanza image / host commands", () => {
  it("image clone --yes, then image info --format json shows the relative chain and real sizes", async () => {
    const base = join(dir, "base.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", base, "8M"]);
    const state = join(dir, "state");
    expect(await run("image", "clone", base, "--count", "2", "--name", "lab{n}", "--yes", "--state-dir", state)).toBe(
      0,
    );
    await stat(join(dir, "lab2.qcow2"));
    // The same arguments find the same journal: everything is verified again and nothing redone.
    expect(await run("image", "clone", base, "--count", "2", "--name", "lab{n}", "--yes", "--state-dir", state)).toBe(
      0,
    );
    out.length = 0;
    expect(await run("image", "info", join(dir, "lab1.qcow2"), "--format", "json")).toBe(0);
    const printed = out.join("");
    const { version, chain } = JSON.parse(printed) as {
      version: number;
      chain: Array<{ filename: string; backingFilename?: string; allocated: number }>;
    };
    expect(version).toBe(1);
    expect(chain.map((c) => c.filename)).toEqual([join(dir, "lab1.qcow2"), base]);
    expect(chain[0]?.backingFilename).toBe("base.qcow2");
    expect(chain[1]).not.toHaveProperty("backingFilename");
    // It validates against the published schema (new-user trial, finding 6), which can say no: the bare array
    // this command printed before, or a chain file without its size.
    out.length = 0;
    expect(await run("schema", "image-info")).toBe(0);
    const validate = validatorOf(out.join(""));
    expectValid(validate, printed);
    expect(validate(chain)).toBe(false);
    expect(validate({ version, chain: [{ ...chain[0], virtualSize: undefined }] })).toBe(false);
    const du = Number(execFileSync("du", ["-B1", base], { encoding: "utf8" }).split("\t")[0]);
    expect(chain[1]?.allocated).toBe(du);
    // --json is the same thing in every command: NDJSON events of the run, nothing else (issue 14).
    out.length = 0;
    expect(await run("image", "info", join(dir, "lab1.qcow2"), "--json")).toBe(0);
    const events = out
      .join("")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; version: number; details?: string[] });
    expect(events[0]).toMatchObject({ type: "pipeline-start", version: 1 });
    // the chain reaches the events too, in the words the text face prints (found by a new-user trial)
    const probed = events.find((e) => e.type === "step-probed");
    expect(probed?.details?.[0]).toMatch(
      new RegExp(`^${join(dir, "lab1.qcow2")} \\(qcow2, .*backing file "base\\.qcow2"\\)$`),
    );
    expect(probed?.details?.[1]).toContain(`└─ ${base} (qcow2`);
    expect(events.at(-1)).toMatchObject({ type: "pipeline-end", status: "dry-run" });
    // An image journal is found by `runs` and opens with `status ID` like a migration's (issue 14).
    out.length = 0;
    expect(await run("runs", "--state-dir", state)).toBe(0);
    const id = /^(image-clone-[0-9a-f]+) +image-clone +done/m.exec(out.join(""))?.[1];
    expect(id).toBeDefined();
    // Its row shows the command line (found by a new-user trial: every image run read "(command line)").
    expect(out.join("")).toMatch(
      new RegExp(`^${id} .* mudanza image clone ${base} --count 2 --name 'lab\\{n\\}'`, "m"),
    );
    out.length = 0;
    expect(await run("status", id!, "--state-dir", state)).toBe(0);
    expect(out.join("")).toMatch(/^Image clone image-clone-[0-9a-f]+ \(/);
    errors.length = 0;
    expect(await run("status", "--state-dir", state, "web1.yaml", "--json")).toBe(2);
    expect(errors.join("")).toContain("--format json");
  });

  it("image info shows a backing file named sub/../base.qcow2 at its resolved path, and its header as written", async () => {
    const base = join(dir, "base.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", base, "8M"]);
    await mkdir(join(dir, "sub"));
    const top = join(dir, "top.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", "sub/../base.qcow2", top]);
    out.length = 0;
    expect(await run("image", "info", top, "--format", "json")).toBe(0);
    const { chain } = JSON.parse(out.join("")) as {
      chain: Array<{ filename: string; backingFilename?: string; allocated: number }>;
    };
    expect(chain.map((c) => c.filename)).toEqual([top, base]);
    expect(chain[0]?.backingFilename).toBe("sub/../base.qcow2"); // what the header holds, unchanged
    const du = Number(execFileSync("du", ["-B1", base], { encoding: "utf8" }).split("\t")[0]);
    expect(chain[1]?.allocated).toBe(du);
    out.length = 0;
    expect(await run("image", "info", top)).toBe(0);
    expect(out.join("").split("\n")[1]).toMatch(new RegExp(`^  └─ ${base} \\(qcow2, `));
  });

  it("image info of a disk named by a symbolic link measures the disk, not the link (new-user trial 8, finding 9: 'on disk 0 B')", async () => {
    const base = join(dir, "base.qcow2");
    const top = join(dir, "top.qcow2");
    const link = join(dir, "link.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", base, "8M"]);
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", "base.qcow2", top]);
    await symlink("top.qcow2", link);
    out.length = 0;
    expect(await run("image", "info", link, "--format", "json")).toBe(0);
    const { chain } = JSON.parse(out.join("")) as { chain: Array<{ filename: string; allocated: number }> };
    const du = (path: string) => Number(execFileSync("du", ["-B1", path], { encoding: "utf8" }).split("\t")[0]);
    expect(du(top)).toBeGreaterThan(0);
    expect(chain.map((c) => [c.filename, c.allocated])).toEqual([
      [link, du(top)],
      [base, du(base)],
    ]);
  });

  it("image info of an overlay whose base is gone says so on stderr, with the fix (found by a new-user trial: only 'blocked: 1 blocker, each with its fix in the report', and no report)", async () => {
    const base = join(dir, "base.qcow2");
    const top = join(dir, "top.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", base, "8M"]);
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", "base.qcow2", top]);
    await rm(base);
    const said = captureStderr();
    out.length = 0;
    expect(await run("image", "info", top)).toBe(3);
    expect(out.join("")).toBe(""); // no chain to show
    const stderr = said.join("");
    expect(stderr).toContain(`Backing file cannot be opened: ${top} is an overlay on ${base}`);
    expect(stderr).toContain(
      `fix: put ${base} back; if it moved, point the overlay at it: qemu-img rebase -u -F qcow2 -b NEW-PATH ${top}`,
    );
    expect(stderr).not.toContain("in the report");
  });

  it("image info of a backing loop (la on lb on la) says which image closes it and how to break it, not to put back an image that is there (found by a new-user trial)", async () => {
    const folder = join(dir, "two words");
    await mkdir(folder);
    const la = join(folder, "la.qcow2");
    const lb = join(folder, "lb.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", lb, "8M"]);
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-b", "lb.qcow2", "-F", "qcow2", la]);
    execFileSync("qemu-img", ["rebase", "-u", "-F", "qcow2", "-b", "la.qcow2", lb]);
    const said = captureStderr();
    expect(await run("image", "info", la)).toBe(3);
    const stderr = said.join("");
    expect(stderr).toContain(
      `The backing chain is a loop: ${lb} names ${la} as its backing file, but ${la} is above it in ${la}'s chain`,
    );
    expect(stderr).toContain(
      `fix: break the loop: point ${lb} at the image it was made from (BASE): qemu-img rebase -u -F qcow2 -b BASE '${lb}'`,
    );
    expect(stderr).not.toContain("put ");
  });

  it("image info blocks (exit 3) an empty file and one of 1000 bytes as sparsify and clone do, instead of a raw disk of 0 B or 1.0 KiB (found by a new-user trial)", async () => {
    const said = captureStderr();
    const empty = join(dir, "empty.img");
    const stray = join(dir, "stray.img");
    await writeFile(empty, "");
    await writeFile(stray, Buffer.alloc(1000, 7));
    for (const [disk, blocker] of [
      [empty, `The file is empty: ${empty} is 0 bytes: there is no disk in it`],
      [stray, `Not a disk image: ${stray} is 1000 bytes, not a whole number of 512-byte sectors`],
    ] as const) {
      said.length = 0;
      out.length = 0;
      expect(await run("image", "info", disk), disk).toBe(3);
      expect(out.join(""), disk).toBe(""); // no chain to show
      expect(said.join(""), disk).toContain(blocker);
      expect(await run("image", "info", disk, "--json"), disk).toBe(3);
      expect(JSON.parse(out.join("").trimEnd().split("\n").at(-1)!)).toMatchObject({
        type: "pipeline-end",
        status: "blocked",
        exitCode: 3,
      });
    }
  });

  it("image info blocks (exit 3) an overlay whose raw backing file is a text file, as it blocks the text file itself (found by a new-user trial: the chain was shown, the text file as a raw disk of 512 B)", async () => {
    const text = join(dir, "notimg.txt");
    const overlay = join(dir, "ovtxt.qcow2");
    await writeFile(text, "hi\n");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-b", "notimg.txt", "-F", "raw", overlay]);
    const said = captureStderr();
    expect(await run("image", "info", overlay)).toBe(3);
    expect(out.join("")).toBe(""); // no chain to show
    expect(said.join("")).toContain(
      `Not a disk image: ${text}, in the backing chain of ${overlay}, is 3 bytes, not a whole number of 512-byte sectors`,
    );
    expect(said.join("")).toContain(
      `fix: check ${overlay} is backed by the disks you meant (qemu-img info --backing-chain ${overlay})`,
    );
  });

  it("image info of an overlay that names the wrong backing format (-F raw on a qcow2 base) says so, with the rebase that fixes it, not that the base is no disk (new-user trial 8, finding 8)", async () => {
    const base = join(dir, "base.qcow2");
    const overlay = join(dir, "wrong fmt.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", base, "8M"]);
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-u", "-F", "raw", "-b", "base.qcow2", overlay, "16M"]);
    const said = captureStderr();
    expect(await run("image", "info", overlay)).toBe(3);
    const stderr = said.join("");
    expect(stderr).not.toContain("Not a disk image");
    expect(stderr).not.toContain("backup");
    expect(stderr).toContain(
      `The overlay names the wrong backing format: ${overlay} says its backing file ${base} is raw, but qemu-img reads ${base} by itself as qcow2`,
    );
    const fix = `qemu-img rebase -u -F qcow2 -b base.qcow2 '${overlay}'`;
    expect(stderr).toContain(fix);
    // The fix as printed, run from another folder, is the whole fix.
    execFileSync("sh", ["-c", fix], { cwd: "/" });
    said.length = 0;
    expect(await run("image", "info", overlay)).toBe(0);
    expect(out.join("")).toContain(`└─ ${base} (qcow2`);
  });

  it("image info says its warnings on stderr: a file named .qcow2 that qemu-img reads as raw (found by a new-user trial)", async () => {
    const said = captureStderr();
    const zeroed = join(dir, "zeroed.qcow2");
    await writeFile(zeroed, Buffer.alloc(512));
    for (const format of ["text", "json"]) {
      said.length = 0;
      out.length = 0;
      expect(await run("image", "info", zeroed, "--format", format)).toBe(0);
      expect(out.join("")).toContain(zeroed); // the chain, as before
      expect(said.join("")).toContain(
        `mudanza: warning: Not the format its name says: ${zeroed} is named .qcow2, but qemu-img reads it as raw`,
      );
    }
    // under --json the events carry it, and stderr stays quiet
    said.length = 0;
    expect(await run("image", "info", zeroed, "--json")).toBe(0);
    expect(said.join("")).not.toContain("warning");
  });

  it("a disk that is a symlink loop is said in words, not as a bare ELOOP (found by a new-user trial)", async () => {
    const loop = join(dir, "self.qcow2");
    await symlink("self.qcow2", loop);
    errors.length = 0;
    expect(await run("image", "info", loop)).toBe(2);
    expect(errors.join("")).toContain(`disk ${loop}: too many symbolic links (ELOOP)\n`);
  });

  it("a disk that is a link to a missing file says so, naming the link's target, not 'no such file' (new-user trial 7)", async () => {
    const link = join(dir, "dl.qcow2");
    await symlink("nowhere.qcow2", link);
    errors.length = 0;
    expect(await run("image", "info", link)).toBe(2);
    expect(errors.join("")).toBe(
      `mudanza: disk ${link}: a symbolic link to nowhere.qcow2 (${join(dir, "nowhere.qcow2")}), which does not exist\n`,
    );
    const second = join(dir, "dl2.qcow2");
    await symlink(link, second);
    errors.length = 0;
    expect(await run("image", "info", second)).toBe(2);
    expect(errors.join("")).toContain(
      `disk ${second}: a symbolic link to ${link}, itself a link that leads to no file`,
    );
  });

  it("bad input exits 2 with the reason", async () => {
    errors.length = 0;
    expect(await run("image", "clone", join(dir, "b.qcow2"), "--count", "3", "--name", "lab", "--dry-run")).toBe(2);
    expect(errors.join("")).toMatch(/needs \{n\}/);
    expect(await run("host", "doctor", "--openvz-conf", "fixtures/kvm/openvz/ve-basic.conf-sample")).toBe(2);
    expect(await run("image", "clone", join(dir, "b.qcow2"), "--count", "x")).toBe(2);
  });

  it("without a terminal and without --yes, a changing command with a gate refuses to start", async () => {
    errors.length = 0;
    await writeFile(join(dir, "b.qcow2"), "");
    expect(await run("image", "sparsify", join(dir, "b.qcow2"), "--replace", "--state-dir", join(dir, "s"))).toBe(2);
    expect(errors.join("")).toMatch(/pass --yes/);
  });

  it("without a terminal, image clone, whose steps ask nothing, runs without --yes (new-user trial 12)", async () => {
    errors.length = 0;
    const base = join(dir, "base.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", base, "8M"]);
    const args = ["image", "clone", base, "--count", "2", "--name", "web{n}", "--state-dir", join(dir, "s")];
    expect(await run(...args)).toBe(0);
    expect(errors.join("")).toBe("");
    await stat(join(dir, "web1.qcow2"));
    await stat(join(dir, "web2.qcow2"));
    // its end names the clones it made and says the base is read-only now, with its mode
    const mode = ((await stat(base)).mode & 0o777).toString(8);
    expect(mode).not.toMatch(/[2367]/);
    expect(out.join("")).toContain(
      `clones of base.qcow2: ${join(dir, "web1.qcow2")}, ${join(dir, "web2.qcow2")}\n${base} is now read-only (mode ${mode}), as is every file below it in its backing chain`,
    );
  });

  it("a disk this user cannot read is bad input (exit 2) naming the file and why, like a missing one", async () => {
    const disk = join(dir, "locked.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", disk, "8M"]);
    await chmod(disk, 0o000);
    const runs = await Promise.all([
      runWithoutReadingEverything("image", "info", disk),
      runWithoutReadingEverything("image", "sparsify", disk, "--dry-run"),
      runWithoutReadingEverything("image", "clone", disk, "--count", "1", "--dry-run"),
    ]);
    for (const [i, what] of ["disk", "disk", "base image"].entries()) {
      expect({ code: runs[i]!.exitCode, stderr: runs[i]!.stderr }).toEqual({
        code: 2,
        stderr: `mudanza: ${what} ${disk}: this user cannot read it (permission denied): run mudanza as a user who can, or give this user read access to it; ls -l shows its owner and mode (EACCES)`,
      });
      expect(runs[i]!.stdout).toBe("");
    }
    expect(await readdir(dir)).toEqual(["locked.qcow2"]); // nothing ran: no state folder, no report
  });

  it("a missing disk is bad input (exit 2) before any probe, as the README says", async () => {
    errors.length = 0;
    expect(await run("image", "sparsify", join(dir, "nope.qcow2"), "--dry-run")).toBe(2);
    expect(errors.join("")).toContain(`disk ${join(dir, "nope.qcow2")}: no such file`);
    // image info prints no report: it must never point at one (issue 14).
    errors.length = 0;
    expect(await run("image", "info", "/nonexist")).toBe(2);
    expect(errors.join("")).toBe("mudanza: disk /nonexist: no such file\n");
  });
});
