// A CLI-like process: starts a long command through LocalHost (a shell that started `sleep`), prints the
// group's pids, then leaves by the chosen way, like the CLI can.
// argv: STATE_DIR HOW (HOW = exit | uncaught | SIGINT | SIGTERM | SIGHUP | SIGKILL)
import { recordChildrenIn } from "../../src/hosts/child-records.js";
import { LocalHost } from "../../src/hosts/local-host.js";

const [stateDir, how] = process.argv.slice(2);
recordChildrenIn(stateDir!);
const lines: string[] = [];
void new LocalHost("local").exec("echo $$; sleep 300 & echo $!; wait", {
  onStdout: (line) => {
    lines.push(line);
    if (lines.length < 2) return;
    process.stdout.write(`${lines.join(" ")}\n`, () => leave());
  },
});

function leave(): void {
  if (how === "exit") process.exit(0);
  if (how === "uncaught")
    setTimeout(() => {
      throw new Error("boom");
    });
  if (how === "SIGINT" || how === "SIGTERM" || how === "SIGHUP" || how === "SIGKILL") process.kill(process.pid, how);
}
