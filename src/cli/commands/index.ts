import type { Command } from "commander";
import type { ExitSetter } from "../program.js";
import { registerCompletion } from "./completion.js";
import { registerDemo } from "./demo.js";
import { registerHost } from "./host.js";
import { registerImage } from "./image.js";
import { registerPlan } from "./plan.js";
import { registerRun } from "./run.js";
import { registerRollback } from "./rollback.js";
import { registerRuns } from "./runs.js";
import { registerSchema } from "./schema.js";
import { registerStatus } from "./status.js";

/** Every subcommand; each lives in its own file and registers itself here. */
export const commandRegistrations: Array<(program: Command, setExit: ExitSetter) => void> = [
  registerRun,
  registerRollback,
  registerStatus,
  registerRuns,
  registerPlan,
  registerDemo,
  registerImage,
  registerHost,
  registerSchema,
  registerCompletion,
];
