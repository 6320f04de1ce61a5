import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { useTempDirs } from "../support/temp-dirs.js";

const BIN = join(resolve(import.meta.dirname, "../.."), "bin", "mudanza.js");
const tempDir = useTempDirs();

const SAVE_IT_FIRST = "save the plan to a file first: a run reads its plan again to resume";

/** `mudanza run /dev/stdin --dry-run` with the plan fed by `feed` in a state folder of its own. */
async function runFromStdin(
  feed: "shell pipe" | "socket pair",
): Promise<{ code?: number; out: string; err: string; state: string }> {
  const state = await tempDir("mudanza-plan-pipe-");
  const args = [BIN, "run", "/dev/stdin", "--dry-run", "--state-dir", state];
  const env = { XDG_STATE_HOME: join(state, "xdg") };
  const ran =
    feed === "shell pipe"
      ? // A real pipe: /dev/stdin links to "pipe:[N]", which node's own realpath made a missing path.
        await execa("sh", ["-c", 'printf "kind: openvz-to-kvm\\n" | "$0" "$@"', process.execPath, ...args], {
          reject: false,
          env,
        })
      : // node's stdio "pipe" is a socket pair: opening /dev/stdin then fails with ENXIO.
        await execa(process.execPath, args, { input: "kind: openvz-to-kvm\n", reject: false, env });
  return { code: ran.exitCode, out: ran.stdout, err: ran.stderr, state };
}

describe("a plan piped in as /dev/stdin", () => {
  it("is refused as not a regular file, saying to save it first, and nothing is written", async () => {
    const { code, out, err, state } = await runFromStdin("shell pipe");
    expect({ code, out, err }).toEqual({
      code: 2,
      out: "",
      err: `mudanza: plan /dev/stdin is not a regular file (a pipe or fifo: ${SAVE_IT_FIRST})`,
    });
    expect(await readdir(state)).toEqual([]);
  }, 60_000); // starts node + tsx: seconds on a loaded machine

  it("from a socket pair is refused the same way", async () => {
    const { code, out, err, state } = await runFromStdin("socket pair");
    expect({ code, out, err }).toEqual({
      code: 2,
      out: "",
      err: `mudanza: plan /dev/stdin is not a regular file (a socket or device: ${SAVE_IT_FIRST})`,
    });
    expect(await readdir(state)).toEqual([]);
  }, 60_000);
});
