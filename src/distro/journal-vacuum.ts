import { cmd } from "../hosts/quote.js";

/** How much of the systemd journal every family keeps when it frees space: the command and what it deletes, together. */
export const JOURNAL_VACUUM = {
  command: cmd("journalctl", "--vacuum-size=100M"),
  deletes: "the system journal's logs beyond its newest 100 MB",
};
