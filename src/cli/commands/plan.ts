import type { Command } from "commander";
import { BadInputError } from "../../errors.js";
import type { ExitSetter } from "../program.js";

/** Parses user@host:port (user and port optional). */
export function parseEndpointFlag(value: string, flag: string): { host: string; port: number; user: string } {
  const match = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d+))?$/.exec(value);
  if (!match) throw new BadInputError(`${flag} ${JSON.stringify(value)}: expected [user@]host[:port]`);
  const port = match[3] ? Number(match[3]) : 22;
  if (port < 1 || port > 65535) throw new BadInputError(`${flag} ${JSON.stringify(value)}: port must be 1-65535`);
  return { user: match[1] ?? "root", host: match[2]!.replace(/^\[|\]$/g, ""), port };
}

/** The plan kinds, here so `--help` need not load the schemas (zod); a test checks it against planKinds. */
export const PLAN_KINDS = ["openvz-to-kvm", "vserver-to-openvz"] as const;

export function registerPlan(program: Command, setExit: ExitSetter): void {
  program
    .command("plan")
    .description("write a plan file from flags")
    .argument("<kind>", PLAN_KINDS.join(" | "))
    .requiredOption("--source <[user@]host[:port]>", "the machine to migrate from")
    .requiredOption("--target <[user@]host[:port]>", "the machine to migrate to")
    .option("--name <name>", "migration name (journal file name)")
    .option("--guest <name>", "vserver-to-openvz: the VServer guest name")
    .option("--ctid <id>", "vserver-to-openvz: the OpenVZ container id")
    .option("-o, --output <file>", "write here instead of stdout")
    .action(async (kind: string, opts: { source: string; target: string; name?: string; guest?: string; ctid?: string; output?: string }) => {
      if (!(PLAN_KINDS as readonly string[]).includes(kind)) throw new BadInputError(`unknown kind ${JSON.stringify(kind)}: expected ${PLAN_KINDS.join(" or ")}`);
      const plan: Record<string, unknown> = {
        kind,
        ...(opts.name ? { name: opts.name } : {}),
        source: parseEndpointFlag(opts.source, "--source"),
        target: parseEndpointFlag(opts.target, "--target"),
      };
      if (kind === "vserver-to-openvz") {
        if (!opts.guest) throw new BadInputError("vserver-to-openvz needs --guest NAME");
        plan.options = { guest: opts.guest, ...(opts.ctid ? { ctid: Number(opts.ctid) } : {}) };
      }
      const [{ stringify }, { parsePlan }, { writeFile }] = await Promise.all([import("yaml"), import("../../plan/load.js"), import("node:fs/promises")]);
      const text = stringify(plan);
      parsePlan(text, opts.output ?? "(generated plan)"); // same validation as `run`: never write a plan run would refuse
      if (opts.output) await writeFile(opts.output, text, { flag: "wx" }).catch((error: NodeJS.ErrnoException) => {
        throw new BadInputError(error.code === "EEXIST" ? `${opts.output} exists; not overwriting it` : `cannot write ${opts.output}: ${error.message}`);
      });
      else process.stdout.write(text);
      setExit(0);
    });
}
