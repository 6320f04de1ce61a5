import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { shellQuote } from "../../src/hosts/quote.js";
import { exitCodeOn, TERMINAL_TEST_TIMEOUT, TmuxSession } from "./tmux.js";
import { pathKeyedStem } from "../../src/journal/journal-names.js";

/**
 * The real CLI in a real terminal: tmux runs `mudanza run PLAN` in an 80x24 pane on scripted hosts
 * (fixtures/plans/ovz-kvm-debian-12.yaml: Debian 12 OpenVZ container -> Debian 12 KVM VM); send-keys answers the gates like a user,
 * capture-pane reads what is on the screen.
 */
const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin", "mudanza.js");
const FIRST_GATE = "Update and reboot both hosts";
// The OpenVZ -> KVM engineer's scripted plan: Debian 12 container with MariaDB -> fresh Debian 12 VM.
const PLAN = join(ROOT, "fixtures/plans/ovz-kvm-debian-12.yaml");
// Journal, log and report are named after the plan's name and its path.
const ID = pathKeyedStem("ovz-kvm-debian-12", PLAN);
const run = promisify(execFile);

let sessions: TmuxSession[] = [];
let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(sessions.map((s) => s.kill()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  sessions = [];
  dirs = [];
});

/** Starts the CLI in a fresh pane with a clean environment (no CI, no inherited colour settings). */
async function startCli(extraEnv: Record<string, string> = {}) {
  // Directly under /tmp, not the test run's TMPDIR: the end screen's paths must fit the 80 columns whole
  // to be compared as printed (removed after each test like the rest).
  const dir = await mkdtemp("/tmp/mz-");
  dirs.push(dir);
  const plan = PLAN;
  const state = join(dir, "state");
  // MUDANZA_FROM_SOURCE: the sources under test, not a dist/ built earlier (see bin/mudanza.js).
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? dir,
    TMPDIR: tmpdir(),
    TERM: "xterm-256color",
    LANG: "C.UTF-8",
    MUDANZA_FROM_SOURCE: "1",
    ...extraEnv,
  };
  const envArgs = Object.entries(env).map(([k, v]) => shellQuote(`${k}=${v}`));
  const tmux = new TmuxSession();
  sessions.push(tmux);
  // Started from the temp dir, not the repository: the CLI must find its own tsconfig (jsx) from anywhere.
  await tmux.start(
    `cd ${shellQuote(dir)} && env -i ${envArgs.join(" ")} ${shellQuote(process.execPath)} ${shellQuote(BIN)} run ${shellQuote(plan)} --state-dir ${shellQuote(state)}`,
  );
  return { tmux, plan, state };
}

const atGate = (screen: string) => screen.includes("[y/N]");
const ended = (screen: string) => exitCodeOn(screen) !== undefined;
// SGR sequences that set a colour (30-37, 38;…, 90-97 and backgrounds), as opposed to bold/dim.
const ESC = String.fromCharCode(27);
const COLOR_SGR = new RegExp(`${ESC}\\[(?:[0-9;]*;)?(?:3[0-8]|9[0-7]|4[0-8]|10[0-7])(?:;[0-9;]*)?m`);

describe("the TUI in a real terminal (tmux, 80x24)", { timeout: TERMINAL_TEST_TIMEOUT }, () => {
  beforeAll(async () => {
    // tmux is a Debian package the CI installs; fail loudly rather than skip when it is missing.
    await new TmuxSession().screen().catch((error: Error) => {
      if (/ENOENT/.test(error.message)) throw new Error("tmux is not installed (apt-get install tmux)");
    });
  });

  it("asks at the first gate with the exact commands per host; Enter means no; the end screen says how to resume", async () => {
    const { tmux, plan, state } = await startCli({ NO_COLOR: "1" });
    const gate = await tmux.waitFor(atGate, "the first gate");
    const rows = gate.split("\n");
    // The frame fits: the header is still the first row (a taller frame scrolls it away).
    expect(rows[0]).toContain("OpenVZ container to KVM virtual machine (openvz-to-kvm)");
    expect(rows[0]).toContain("waiting for you");
    expect(gate).toContain(`Next: ${FIRST_GATE} — this step changes things`);
    expect(gate).toMatch(/rows 1-\d+ of \d+, more below/);
    expect(gate).toContain("Run this step? [y/N]");
    // What the step means comes first, on the first page (new-user trial 9); the commands follow.
    expect(gate).toContain("each host must answer again within 900 s");
    expect(gate).toContain("What it runs, host by host in order:");
    // Page through the gate: the commands, host by host.
    let pages = gate;
    let screen = gate;
    for (let i = 0; i < 6 && screen.includes("more below"); i++) {
      await tmux.keys("NPage");
      const before = screen;
      screen = await tmux.waitFor((s) => s !== before, "the next page of the gate");
      pages += screen;
    }
    expect(screen).not.toContain("more below");
    expect(screen.split("\n")[0]).toContain("OpenVZ container to KVM virtual machine");
    expect(pages).toContain("On source:");
    expect(pages).toContain("$ apt-get clean");
    expect(pages).toContain("$ DEBIAN_FRONTEND=noninteractive apt-get update");
    expect(pages).toContain("On target:");
    expect(pages).toContain("$ nohup sh -c 'sleep 1; systemctl reboot' >/dev/null 2>&1 &");
    expect(COLOR_SGR.test(await tmux.screen(true))).toBe(false); // NO_COLOR

    await tmux.keys("Enter");
    const end = await tmux.waitFor(ended, "the end of the run");
    expect(exitCodeOn(end)).toBe(1);
    expect(end).toContain("■ Stopped at the gate");
    expect(end).toMatch(/○ Update and reboot both hosts \(asks first\) — declined at the gate/);
    expect(end).toContain(`Full log: ${state}/${ID}.log.ndjson`);
    expect(end).toContain(`Report: ${state}/${ID}.report.md`);
    // After the last frame, whole: the terminal wraps the command, and a copy of it (joined rows) runs as is.
    expect(await tmux.history()).toContain(`Resume with:\n  mudanza run ${plan} --state-dir ${state}\n[exit 1]`);
    const journal = JSON.parse(await readFile(join(state, `${ID}.journal.json`), "utf8")) as {
      steps: Record<string, { status: string; message?: string }>;
      runs: Array<{ outcome?: string }>;
    };
    expect(journal.runs.at(-1)?.outcome).toBe("declined");
    expect(journal.steps["pre-update"]).toMatchObject({ status: "pending", message: "declined at the gate" });
    expect(await readFile(join(state, `${ID}.report.md`), "utf8")).toContain("**Result: declined** (exit 1)");
    // `mudanza status` tells the same story from the journal and the log.
    const status = await run(process.execPath, [BIN, "status", plan, "--state-dir", state], {
      env: { ...process.env, NO_COLOR: "1" },
    });
    expect(status.stdout).toMatch(/Last run: interactive, started \S+, declined/);
    expect(status.stdout).toMatch(/○ pending\s+Update and reboot both hosts\s+.*declined at the gate/);
    expect(status.stdout).toContain(`Resume with: mudanza run ${plan} --state-dir ${state}`);
    expect(status.stdout).toContain("Freeze window: not recorded yet");
  });

  it("q at a gate stops safely (exit 130) and says so; colours are on without NO_COLOR", async () => {
    const { tmux, state } = await startCli();
    await tmux.waitFor(atGate, "the first gate");
    expect(COLOR_SGR.test(await tmux.screen(true))).toBe(true);
    for (const key of ["x", "Space", "Down"]) await tmux.keys(key); // none of these is a yes
    expect(atGate(await tmux.screen())).toBe(true);
    await tmux.keys("q");
    const end = await tmux.waitFor(ended, "the end of the run");
    expect(exitCodeOn(end)).toBe(130);
    expect(end).toContain("■ Stopped at your request (Ctrl-C / q)");
    expect(end).toContain("Resume with:");
    // The log says what stopped it: the key, not a signal nobody sent (found by a new-user trial).
    const log = (await readFile(join(state, `${ID}.log.ndjson`), "utf8")).trim().split("\n");
    expect(JSON.parse(log.at(-1)!)).toMatchObject({
      type: "pipeline-end",
      status: "interrupted",
      message: "stopped with q",
      exitCode: 130,
    });
  });

  it("y at every gate: the last screen agrees with the exit code (complete, or a failure panel with log and resume command)", async () => {
    const { tmux, state } = await startCli({ NO_COLOR: "1" });
    let answered = 0;
    let screen = await tmux.waitFor((s) => atGate(s) || ended(s), "a gate or the end");
    while (!ended(screen)) {
      const title = /Next: (.+) — this step changes things/.exec(screen)?.[1];
      expect(title).toBeTruthy();
      await tmux.keys("y");
      answered++;
      screen = await tmux.waitFor(
        (s) => ended(s) || (atGate(s) && !s.includes(`Next: ${title} —`)),
        "the next gate or the end",
        120_000,
      );
    }
    expect(answered).toBeGreaterThanOrEqual(1);
    const code = exitCodeOn(screen);
    if (code === 0) {
      expect(screen).toContain("✔ Migration complete");
      expect(screen).not.toContain("Resume with:");
    } else {
      expect(screen).toMatch(/✖ Failed: .+ after/);
      expect(screen).toContain(`Full log: ${state}/${ID}.log.ndjson`);
      expect(screen).toContain("Resume with:");
      expect(screen).toMatch(/^✖ /m); // the failed step is marked in the list
    }
    expect(screen.split("\n")[0]).toContain("OpenVZ container to KVM virtual machine");
  });
});

describe("a flood of progress in a real terminal", { timeout: TERMINAL_TEST_TIMEOUT }, () => {
  it("100k+ progress events become a few frames a second, and the last screen is clean", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mudanza-flood-"));
    dirs.push(dir);
    const stats = join(dir, "stats.json");
    const goOn = join(dir, "go-on");
    const tmux = new TmuxSession();
    sessions.push(tmux);
    const tsx = join(ROOT, "node_modules", ".bin", "tsx");
    await tmux.start(
      `env -i PATH=${shellQuote(process.env.PATH ?? "/usr/bin:/bin")} TMPDIR=${shellQuote(tmpdir())} TERM=xterm-256color LANG=C.UTF-8 ${shellQuote(tsx)} ${shellQuote(join(ROOT, "test/tui/flood-script.ts"))} ${shellQuote(stats)} 120000 ${shellQuote(goOn)}`,
    );
    // The script holds at half-way until go-on exists: the bar is on the screen then, whatever the speed.
    const mid = await tmux.waitFor(
      (s) => /█+░+\s+\d+%/.test(s) && s.includes("60000 files checked"),
      "the progress bar at half-way",
    );
    await writeFile(goOn, "");
    expect(mid).toMatch(/\d (?:B|KiB|MiB|GiB) \/ 8\.0 GiB\s+\d+%\s+100 MiB\/s\s+ETA/);
    expect(mid).toMatch(/│ source: var\/lib\/file-\d+/);
    const end = await tmux.waitFor((s) => exitCodeOn(s) !== undefined, "the end");
    expect(exitCodeOn(end)).toBe(0);
    expect(end.split("\n")[0]).toContain("Flood test (openvz-to-kvm)");
    expect(end).toMatch(/✔ Copy the root filesystem\s+\d+\.\d s/);
    expect(end).toContain("↷ Afterwards — nothing to do");
    expect(end).toContain("✔ Migration complete");
    expect(end).not.toContain("█"); // the finished step is no longer expanded
    const { events, writes, bytes, seconds } = JSON.parse(await readFile(stats, "utf8")) as {
      events: number;
      writes: number;
      bytes: number;
      seconds: number;
    };
    expect(events).toBe(120_000);
    // maxFps 10 and one publish per frame, however long this machine took: Ink writes 2-3 times per frame,
    // plus the first and last frames; a frame of this screen is well under 7 kB.
    const frames = Math.ceil(10 * seconds) + 3;
    expect(writes, `${writes} writes in ${seconds} s`).toBeLessThanOrEqual(3 * frames);
    expect(bytes, `${bytes} bytes in ${seconds} s`).toBeLessThan(7000 * frames);
  });
});
