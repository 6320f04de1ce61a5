import { readPlanned } from "./fixup-read.js";
import type { Fixup, FixupChange, FixupTree } from "./fixups.js";

/**
 * util-vserver set the guest's NIS domain name from uts/domainname at every start; vzctl has no such
 * setting, so it goes where the guest's own boot sets it: NISDOMAIN in /etc/sysconfig/network (Red Hat's
 * rc.sysinit runs `domainname $NISDOMAIN`), /etc/defaultdomain on Debian (read by the nis package's init
 * script, the only user of the NIS domain there).
 */
export const nisDomainFixup: Fixup = {
  id: "nis-domainname",
  title: "Keep the guest's NIS domain name (uts/domainname)",
  why: "util-vserver set it at every start from uts/domainname; vzctl has no setting for it, so the guest's own boot scripts must",
  async plan(tree: FixupTree): Promise<FixupChange[]> {
    const domain = tree.nisDomain;
    if (!domain) return [];
    if (tree.release.family === "rhel") {
      const text = (await readPlanned(tree, "etc/sysconfig/network")) ?? "";
      const line = `NISDOMAIN=${domain}`;
      if (text.split("\n").some((l) => l.trim() === line)) return [];
      const kept = text.split("\n").filter((l) => !/^\s*NISDOMAIN=/.test(l) && l !== "");
      return [
        {
          kind: "rewrite",
          path: "etc/sysconfig/network",
          content: [...kept, line, ""].join("\n"),
          detail: `${line} (rc.sysinit sets it at boot)`,
        },
      ];
    }
    const current = (await readPlanned(tree, "etc/defaultdomain"))?.trim();
    if (current === domain) return [];
    return [
      {
        kind: "rewrite",
        path: "etc/defaultdomain",
        content: `${domain}\n`,
        detail: `${domain} (the nis init script sets it at boot)`,
      },
    ];
  },
};
