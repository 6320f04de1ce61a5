import { z } from "zod";

/**
 * Values from a plan that end up on an ssh command line, in known_hosts or in an rsync target: a
 * leading dash would be read as an option, whitespace or a newline would split the value (a newline
 * adds a line to the migration's known_hosts), control characters could rewrite the terminal.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\s\u0000-\u001f\u007f-\u009f]/;

export function safeArgumentSchema(what: string, max: number) {
  return z
    .string()
    .min(1)
    .max(max)
    .superRefine((value, ctx) => {
      if (value.startsWith("-"))
        ctx.addIssue({ code: "custom", message: `a ${what} cannot start with "-" (it would be read as an option)` });
      else if (UNSAFE.test(value))
        ctx.addIssue({ code: "custom", message: `a ${what} cannot hold whitespace or control characters` });
    });
}

/** The keys that hold an address's parts, for the message that sends `user@host:port` apart. */
interface AddressKeys {
  host: string;
  port: string;
  /** The key of the user; absent where the user is not the plan's to choose, with `noUser` saying why. */
  user?: string;
  noUser?: string;
}

/**
 * The host alone: `user@host` and `host:port`, as the CLI's --source takes them, are refused in a plan with
 * the keys that hold them (ssh would look the whole text up as a name). IPv6 addresses keep their colons and
 * are written bare: `[::1]` is refused too (ssh would look `[::1]` up as a name, and an rsync destination
 * adds brackets of its own).
 */
function addressSchema(keys: AddressKeys) {
  return safeArgumentSchema("host name or address", 253).superRefine((value, ctx) => {
    const at = value.lastIndexOf("@");
    const user = at >= 0 ? value.slice(0, at) : undefined;
    const rest = at >= 0 ? value.slice(at + 1) : value;
    const withPort = /^\[(.+)\]:(\d+)$/.exec(rest) ?? /^([^:]+):(\d+)$/.exec(rest);
    const bracketed = withPort ? undefined : /^\[(.+)\]$/.exec(rest);
    const host = withPort ? withPort[1]! : (bracketed?.[1] ?? rest);
    const port = withPort?.[2];
    // "user:password@host": said without repeating the value, and without advice the user key would refuse
    // (found by a new-user trial: the message echoed the password twice)
    if (user?.includes(":")) {
      ctx.addIssue({
        code: "custom",
        message: `a host cannot hold a user and a password ("user:password@host"); write the host alone${keys.user ? ` and the user in ${keys.user}:` : ""}: a password does not belong in the plan (mudanza logs in with ssh keys: identityFile, or ssh-agent)`,
      });
      return;
    }
    if (/[[\]]/.test(host)) {
      ctx.addIssue({ code: "custom", message: `"${value}": a host name or address cannot hold [ or ]` });
      return;
    }
    if (user === undefined && port === undefined) {
      if (bracketed)
        ctx.addIssue({
          code: "custom",
          message: `"${value}" is in brackets: write ${keys.host}: ${host} (mudanza adds the brackets where a command needs them)`,
        });
      return;
    }
    const parts = [
      `${keys.host}: ${host}`,
      ...(user !== undefined && keys.user ? [`${keys.user}: ${user}`] : []),
      ...(port ? [`${keys.port}: ${port}`] : []),
    ];
    const what = user !== undefined && port ? "a user and a port" : user !== undefined ? "a user" : "a port";
    const list = parts.length < 2 ? parts[0] : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
    const why = user !== undefined && !keys.user && keys.noUser ? ` (${keys.noUser})` : "";
    ctx.addIssue({ code: "custom", message: `"${value}" holds ${what}: write ${list}${why}` });
  });
}

/** An endpoint's host: its user and port have keys beside it. */
export const hostNameSchema = addressSchema({ host: "host", user: "user", port: "port" });

/**
 * options.targetAddressFromSource: the push always logs in as root (push-route.ts), so a user written
 * there has no key to go to; `source` and `target` are what the kind calls the two hosts.
 */
export const targetAddressFromSourceSchema = (source: string, target: string) =>
  addressSchema({
    host: "targetAddressFromSource",
    port: "targetPortFromSource",
    noUser: `the ${source} always logs in to the ${target} as root`,
  });

/**
 * A whole number of `unit` from min to max, for limits where a value outside is a typo (an ssh connect
 * timeout of hours): each way to miss says what was written and the range.
 */
export function wholeNumberSchema(unit: string, min: number, max: number) {
  const error = (issue: { input?: unknown }): string =>
    `got ${String(issue.input)}: write a whole number of ${unit} from ${min} to ${max}`;
  return z.number().int({ error }).min(min, { error }).max(max, { error });
}

/**
 * No user name holds ":" (the separator of /etc/passwd): one that does is most likely "user:password" pasted
 * in, so the message does not repeat it (found by a new-user trial: the login error echoed the password).
 */
export const userNameSchema = safeArgumentSchema("user name", 64).refine((value) => !value.includes(":"), {
  message:
    'a user name cannot hold ":" (the separator of /etc/passwd); a password does not belong in the plan: mudanza logs in with ssh keys (identityFile, or ssh-agent)',
});

/**
 * A systemd unit's name, as systemd.unit(5) allows it (letters, digits, ":", "-", "_", ".", "\\", "@" for
 * templates; at most 255 characters): anything else cannot name a unit, and the name reaches command lines,
 * the journal and reports. The message does not repeat the value (it could be a password pasted in the
 * wrong place).
 */
export const unitNameSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9:_.@\\-]+$/, {
    message:
      "not a systemd unit name: letters, digits and : - _ . @ \\ only (for example mariadb or postgresql@15-main.service)",
  })
  .refine((value) => !value.startsWith("-"), { message: 'a unit name cannot start with "-"' });
