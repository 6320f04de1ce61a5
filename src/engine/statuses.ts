/**
 * The words of the event and journal enums, as plain lists: events.ts builds its zod schemas from them,
 * and the light readers of `status` and `runs` (which start without zod) check against the same lists.
 */
export const STEP_STATUSES = ["pending", "running", "done", "skipped", "failed", "blocked"] as const;
export const SEVERITIES = ["info", "warning", "error"] as const;
export const RUN_MODES = ["interactive", "yes", "dry-run"] as const;
export const RUN_STATUSES = ["done", "failed", "blocked", "interrupted", "dry-run", "declined"] as const;
export const PROMPT_ANSWERERS = ["user", "yes-flag"] as const;
