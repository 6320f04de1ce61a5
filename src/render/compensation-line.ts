/** " on HOST", unless the title names that host already ("start mariadb.service on the source"). */
const onHost = (title: string, host: string): string =>
  new RegExp(`\\bthe ${host.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`).test(title) ? "" : ` on ${host}`;

/** What every face prints of an undo that ran: what it did when its command said so, else its title. */
export function compensationLine(c: {
  ok: boolean;
  title: string;
  host: string;
  message?: string;
  outcome?: string;
  notRun?: boolean;
}): string {
  if (c.notRun) return `undo not run on ${c.host}: ${c.outcome ?? c.title}`;
  if (!c.ok) return `NOT undone: ${c.title}${onHost(c.title, c.host)}${c.message ? ` (${c.message})` : ""}`;
  return c.outcome ? `undo on ${c.host}: ${c.outcome}` : `undone: ${c.title}${onHost(c.title, c.host)}`;
}
