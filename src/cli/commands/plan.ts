import type { Command } from "commander";
import { BadInputError } from "../../errors.js";
import { otherUrlScheme, parseEndpointText } from "../../plan/endpoint-text.js";
import type { ExitSetter } from "../program.js";

/** Parses user@host:port (user and port optional), or the same as an ssh:// URL. */
export function parseEndpointFlag(value: string, flag: string): { host: string; port: number; user: string } {
  const scheme = otherUrlScheme(value);
  if (scheme)
    throw new BadInputError(
      `${flag} ${JSON.stringify(value)}: mudanza logs in with ssh, not ${scheme}: write [user@]host[:port] or ssh://[user@]host[:port]`,
    );
  const parsed = parseEndpointText(value);
  if (!parsed) {
    // root@::1 cannot tell the address from a port: ssh's own [user@]host form has the same rule
    const ipv6 = /^(?:[^@\s]+@)?[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F:.]*$/.test(value);
    const hint = ipv6 ? ` (an IPv6 address goes in brackets: ${value.replace(/^((?:[^@]+@)?)(.*)$/, "$1[$2]")})` : "";
    throw new BadInputError(`${flag} ${JSON.stringify(value)}: expected [user@]host[:port]${hint}`);
  }
  const port = parsed.port ?? 22;
  if (port < 1 || port > 65535) throw new BadInputError(`${flag} ${JSON.stringify(value)}: port must be 1-65535`);
  return { user: parsed.user ?? "root", host: parsed.host, port };
}

/** The plan kinds without loading the schemas; a test checks it against planKinds. */
export const PLAN_KINDS = ["openvz-to-kvm", "vserver-to-openvz"] as const;

const SUMMARY: Record<(typeof PLAN_KINDS)[number], string> = {
  "openvz-to-kvm": "an OpenVZ container into a KVM VM of the same distribution",
  "vserver-to-openvz": "a Linux-VServer guest into an OpenVZ container",
};

export function registerPlan(program: Command, setExit: ExitSetter): void {
  const plan = program
    .command("plan")
    .description("write a commented plan file from flags: every option of the kind, its default and what it does")
    .addHelpText(
      "after",
      `\nExamples:\n  mudanza plan openvz-to-kvm --source root@web1.example.org --target root@web1-vm.example.org -o web1.yaml\n  mudanza plan vserver-to-openvz --source root@vs-host.example.org --target root@ovz-node.example.org --guest db1 -o db1.yaml\n\nSee each kind's options: mudanza plan KIND --help`,
    );
  const subs = new Map(PLAN_KINDS.map((kind) => [kind, plan.command(kind).description(SUMMARY[kind])] as const));
  // The kind's flags and help need the schemas (zod): loaded only when that subcommand is chosen.
  plan.hook("preSubcommand", async (_plan, sub) => {
    const kind = PLAN_KINDS.find((k) => subs.get(k) === sub);
    if (!kind) return;
    const { configureKindCommand } = await import("./plan-kind.js");
    configureKindCommand(sub, kind, setExit);
  });
}
