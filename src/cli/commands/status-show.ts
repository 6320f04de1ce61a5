// What `status PLAN-OR-ID` needs, behind one lazy import: one chunk to load instead of three after the command parses.
export { byId, byPlan, isFile } from "./status-find.js";
export { renderStatus } from "../../report/status-report.js";
export { readLogEvents } from "../../report/log-events.js";
export { lockHeld } from "../../journal/lock-state.js";
export { statusDocument } from "../../report/status-document.js";
