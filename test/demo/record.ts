/**
 * Records the demo as a tmux capture sequence: the real CLI in a real 100x32 terminal, on the fixture
 * plans' scripted hosts, one screen per file in docs/demo/ (NN-name.txt), listed in docs/demo/README.md.
 * Re-runnable: it clears docs/demo/*.txt and its state folder first, and stops its tmux server at the end.
 *
 *   npm run demo:record
 *
 * The fixture hosts answer the probes of a real Debian 12 container and VM, not the copy itself: the
 * recorded run stops at its first gate (declined), and the `--yes` run ends where the fixtures end.
 */
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { shellQuote } from "../../src/hosts/quote.js";
import { exitCodeOn, TmuxSession } from "../tui/tmux.js";

const ROOT = resolve(import.meta.dirname, "../..");
const OUT = join(ROOT, "docs/demo");
const STATE = "/tmp/mudanza-demo-state";
const COLUMNS = 100;
const ROWS = 32;

const env = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: STATE,
  // tsx's cache and the like in the state folder (removed at the end), not in /tmp
  TMPDIR: STATE,
  TERM: "xterm-256color",
  LANG: "C.UTF-8",
  MUDANZA_FROM_SOURCE: "1",
};
/** What the viewer reads as the typed command; what runs is the same with the checkout's bin and a clean environment. */
const mudanza = (args: string): string =>
  `env -i ${Object.entries(env)
    .map(([k, v]) => shellQuote(`${k}=${v}`))
    .join(" ")} ${shellQuote(process.execPath)} ${shellQuote(join(ROOT, "bin/mudanza.js"))} ${args}`;

interface Shot {
  file: string;
  caption: string;
  /** As typed by the user (shown on top of the capture). */
  typed: string;
}
const shots: Shot[] = [];

async function capture(tmux: TmuxSession, file: string, caption: string, typed: string): Promise<void> {
  const screen = (await tmux.screen()).replace(/\[exit \d+\]\s*$/, "").trimEnd();
  await writeFile(join(OUT, file), `$ ${typed}\n${screen}\n`);
  shots.push({ file, caption, typed });
  process.stdout.write(`recorded ${file}\n`);
}

/** One command in a fresh pane, captured when it has ended. */
async function oneShot(file: string, caption: string, typed: string, args: string): Promise<void> {
  const tmux = new TmuxSession();
  try {
    await tmux.start(`cd ${shellQuote(ROOT)} && ${mudanza(args)}`, { columns: COLUMNS, rows: ROWS });
    await tmux.waitFor((s) => exitCodeOn(s) !== undefined, file);
    await capture(tmux, file, caption, typed);
  } finally {
    await tmux.kill();
  }
}

async function main(): Promise<void> {
  await rm(STATE, { recursive: true, force: true });
  await mkdir(STATE, { recursive: true });
  process.env.TMPDIR = STATE; // the tmux servers' sockets (TMUX_TMPDIR follows it), removed with it
  await mkdir(OUT, { recursive: true });
  for (const old of (await readdir(OUT)).filter((f) => f.endsWith(".txt"))) await rm(join(OUT, old));
  const plan = "fixtures/plans/ovz-kvm-debian-12.yaml";
  const state = `--state-dir ${STATE}`;

  await oneShot("01-help.txt", "What mudanza does, its commands and exit codes", "mudanza --help", "--help");
  await oneShot(
    "02-plan.txt",
    "A commented plan: every option of the kind with its default",
    "mudanza plan openvz-to-kvm --source root@old.example.org --target root@new.example.org | head -28",
    "plan openvz-to-kvm --source root@old.example.org --target root@new.example.org | head -28",
  );
  await oneShot(
    "03-dry-run.txt",
    "The dry run: every check, nothing changed; the risk first",
    `mudanza run ${plan} --dry-run | head -24`,
    `run ${plan} --dry-run ${state} | fold -s -w ${COLUMNS} | head -24`,
  );

  // The interactive TUI: the first destructive step asks; declining it names the option that skips it.
  const tui = new TmuxSession();
  try {
    await tui.start(`cd ${shellQuote(ROOT)} && ${mudanza(`run ${plan} ${state}`)}`, { columns: COLUMNS, rows: ROWS });
    await tui.waitFor((s) => s.includes("[y/N]"), "the first gate");
    await capture(
      tui,
      "04-tui-gate.txt",
      "The TUI at the first gate: the exact commands per host, asked before anything changes",
      `mudanza run ${plan}`,
    );
    await tui.keys("n");
    await tui.waitFor((s) => exitCodeOn(s) !== undefined, "the declined run's end");
    await capture(
      tui,
      "05-tui-declined.txt",
      "Gate declined: nothing changed, the option that skips the step and how to resume",
      "(n)",
    );
  } finally {
    await tui.kill();
  }

  await oneShot("06-status.txt", "Where the migration stands", `mudanza status ${plan}`, `status ${plan} ${state}`);
  await oneShot("07-runs.txt", "Every run in the state folder", "mudanza runs", `runs ${state}`);
  await oneShot(
    "08-vserver-yes.txt",
    "VServer → OpenVZ with --yes: warnings on the end screen; the fixture hosts end at the copy, so the run stops there and says how to resume",
    "mudanza run fixtures/plans/vserver-db1.yaml --yes",
    `run fixtures/plans/vserver-db1.yaml --yes ${state}`,
  );
  await oneShot(
    "09-completion.txt",
    "Shell completion, from the command tree",
    "mudanza completion bash | head -12",
    "completion bash | head -12",
  );

  const index = [
    "# The demo, as recorded in a terminal",
    "",
    `Screens of the real CLI in a ${COLUMNS}x${ROWS} tmux pane, on the scripted hosts of \`fixtures/plans/\` (recorded`,
    "answers of a real Debian 12 OpenVZ container, a Debian 12 KVM VM, a VServer host and an OpenVZ node). Each",
    "file starts with the command as typed. Record again with `npm run demo:record` (needs tmux).",
    "",
    ...shots.map((s) => `- [${s.file}](${s.file}): ${s.caption}`),
    "",
  ];
  await writeFile(join(OUT, "README.md"), index.join("\n"));
  await rm(STATE, { recursive: true, force: true });
}

await main();
