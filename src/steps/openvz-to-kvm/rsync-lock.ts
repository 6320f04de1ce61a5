import { MIGRATION_DIR } from "../rsync/excludes.js";

/**
 * Held by a running pass on the source (see lockedRsync); removed with the migration key at the end. Its own
 * module, light, so `status` can name it without loading the copy's code.
 */
export const RSYNC_LOCK = `${MIGRATION_DIR}/rsync.lock`;
