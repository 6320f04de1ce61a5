/** Shared rsync building blocks (OpenVZ -> KVM and VServer -> OpenVZ pipelines). */
export {
  COMMON_EXCLUDES,
  MIGRATION_DIR,
  BACKUP_DIR,
  mergeExcludes,
  rsyncPattern,
  type ExcludeEntry,
} from "./excludes.js";
export {
  receiverRsyncPath,
  rsyncArgv,
  rsyncCommand,
  sshTransport,
  type RsyncCommandOptions,
  type RsyncSshOptions,
} from "./command.js";
export {
  parseProgress2,
  parseStats,
  countDeletions,
  describeRsyncExit,
  type Progress2,
  type RsyncStats,
} from "./progress.js";
export { runRsyncPass, shouldRunAnotherLivePass, type PassResult, type PassSinks } from "./pass.js";
export { lockedRsync, LOCK_HELD_EXIT, ORPHAN_STOPPED_MARKER } from "./lock.js";
