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

export type CommandRegistration = (program: Command, setExit: ExitSetter) => void;

/** Every subcommand, by the names it registers; each lives in its own file and registers itself here. */
export const commandRegistrations: Array<{ names: string[]; register: CommandRegistration }> = [
  { names: ["run"], register: registerRun },
  { names: ["rollback", "checkpoints"], register: registerRollback },
  { names: ["status"], register: registerStatus },
  { names: ["runs"], register: registerRuns },
  { names: ["plan"], register: registerPlan },
  { names: ["demo"], register: registerDemo },
  { names: ["image"], register: registerImage },
  { names: ["host"], register: registerHost },
  { names: ["schema"], register: registerSchema },
  { names: ["completion"], register: registerCompletion },
];
