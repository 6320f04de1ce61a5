/**
 * The compensations protect-base registers before it makes each file of the base's backing chain read-only,
 * one per file, and create-overlays clears once every overlay stands on the base: a clone run that fails in
 * between gives each file its mode back.
 */
export const RESTORE_BASE_MODE = "restore-base-mode";

/** The compensation that gives `file` (the base's, or one below it in its chain) its mode back. */
export const restoreModeId = (file: string): string => `${RESTORE_BASE_MODE}:${file}`;
