/**
 * The compensation protect-base registers before it makes the base read-only, and create-overlays clears once
 * every overlay stands on it: a clone run that fails in between gives the base its mode back.
 */
export const RESTORE_BASE_MODE = "restore-base-mode";
