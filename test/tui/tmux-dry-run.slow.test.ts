import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { shellQuote } from "../../src/hosts/quote.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { exitCodeOn, TERMINAL_TEST_TIMEOUT, TmuxSession } from "./tmux.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin", "mudanza.js");
const tempDir = useTempDirs();
let sessions: TmuxSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.map((s) => s.kill()));
  sessions = [];
});

describe("a dry-run report read in a real terminal (tmux, issue 14)", { timeout: TERMINAL_TEST_TIMEOUT }, () => {
  it("shows its text without Markdown escapes and no internal lines; piped to a file, it stays escaped Markdown", async () => {
    const dir = await tempDir("mudanza-tmuxd-");
    const tmux = new TmuxSession();
    sessions.push(tmux);
    const env = [
      "PATH=" + (process.env.PATH ?? "/usr/bin:/bin"),
      `HOME=${dir}`,
      `TMPDIR=${tmpdir()}`,
      "TERM=xterm-256color",
      "LANG=C.UTF-8",
      "NO_COLOR=1",
      "MUDANZA_FROM_SOURCE=1",
    ]
      .map(shellQuote)
      .join(" ");
    const mudanza = `env -i ${env} ${shellQuote(process.execPath)} ${shellQuote(BIN)} run ${shellQuote(join(ROOT, "fixtures/plans/vserver-db1.yaml"))} --dry-run --state-dir ${shellQuote(join(dir, "state"))}`;
    // The same command twice: once on the terminal, once into a file (printed afterwards with a marker).
    await tmux.start(
      `${mudanza}; ${mudanza} > ${shellQuote(join(dir, "report.md"))}; echo FILE-FOLLOWS; cat ${shellQuote(join(dir, "report.md"))}`,
      { columns: 200 },
    );
    await tmux.waitFor((s) => exitCodeOn(s) !== undefined, "both dry runs");
    const [onTerminal, inFile] = (await tmux.history()).split("FILE-FOLLOWS");
    expect(onTerminal).toMatch(/^# Dry run: Linux-VServer guest to OpenVZ container/m);
    expect(onTerminal).toContain('HOSTNAME="db1.example.net"  <- uts/nodename');
    expect(onTerminal).not.toMatch(/\\[<*]/);
    expect(onTerminal).not.toMatch(/^(checking|dry-run$)/m);
    expect(inFile).toContain('HOSTNAME="db1.example.net"  \\<- uts/nodename');
  });
});
