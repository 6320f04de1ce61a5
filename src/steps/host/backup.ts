import { sh } from "../../hosts/quote.js";
import { BACKUP_DIR } from "../rsync/excludes.js";

export const parentOf = (path: string): string => path.slice(0, path.lastIndexOf("/")) || "/";

/** Keeps whatever is at `path` now (file or link) at `saved`, if anything is there. */
export const backupCommand = (path: string, saved: string): string =>
  sh`if test -e ${path} || test -L ${path}; then mkdir -p ${parentOf(saved)} && cp -a ${path} ${saved}; fi`;

/** A fresh folder under the target's backup directory, stamped with the time the plan was made. */
export const stampedBackupDir = (at = new Date()): string => `${BACKUP_DIR}/${at.toISOString().replace(/[:.]/g, "-")}`;
