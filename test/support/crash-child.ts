// Runs the demo pipeline on LocalHosts and kills itself with SIGKILL at a chosen point, like a power cut.
// argv: ROOT STATE_DIR STEP_ID WHEN (WHEN = "after" the step's journal entry, or "during" its run)
import { LocalHost } from "../../src/hosts/local-host.js";
import { runDemo } from "./run-demo.js";

const [root, stateDir, stepId, when] = process.argv.slice(2);
const die = (): never => {
  process.kill(process.pid, "SIGKILL");
  throw new Error("unreachable");
};
await runDemo({ source: new LocalHost("source"), target: new LocalHost("target") }, stateDir!, {
  root,
  during: (id) => {
    if (when === "during" && id === stepId) die();
  },
  onEvent: (event) => {
    if (when === "after" && event.type === "step-end" && event.stepId === stepId) die();
  },
});
process.exitCode = 99; // reaching here means the kill point was never hit
