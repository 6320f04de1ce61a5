import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { shellQuote } from "../../src/hosts/quote.js";
import { exitCodeOn, TmuxSession } from "./tmux.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin", "mudanza.js");
let cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(cleanups.map((c) => c()));
  cleanups = [];
});

async function runInTmux(plan: string, extraEnv: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), "mudanza-tmuxw-"));
  const tmux = new TmuxSession();
  cleanups.push(() => tmux.kill(), () => rm(dir, { recursive: true, force: true }));
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, TERM: "xterm-256color", LANG: "C.UTF-8", NO_COLOR: "1", ...extraEnv };
  const envArgs = Object.entries(env).map(([k, v]) => shellQuote(`${k}=${v}`));
  await tmux.start(`env -i ${envArgs.join(" ")} ${shellQuote(process.execPath)} ${shellQuote(BIN)} run ${shellQuote(join(ROOT, plan))} --yes --state-dir ${shellQuote(join(dir, "state"))}`);
  return tmux;
}

describe("warnings in a real terminal (tmux, 80x24)", () => {
  it("a gateless step's warning reaches the end screen of `run vserver-db1.yaml --yes`", async () => {
    const tmux = await runInTmux("fixtures/plans/vserver-db1.yaml");
    const end = await tmux.waitFor((s) => exitCodeOn(s) !== undefined, "the end of the run");
    // The inventory step has no gate; its ARP warning was never on screen before.
    expect(end).toContain("198.18.20.13 stays on the VServer host");
  });
});
