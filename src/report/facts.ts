import { formatBytes } from "../render/format.js";
import { plain } from "./markdown.js";

/**
 * Probe facts are free-form (each pipeline fills its own); this file turns them into report sections.
 * Conventions it understands, by name and shape rather than by pipeline:
 * - a key equal to a host role (`source: {...}`) or starting with one (`sourceVirt`, `target.kernel`,
 *   `target_disk`) belongs to that host's section;
 * - an array of `{ path, reason }` objects (any key) is an exclude list, shown with its reasons;
 * - a number under a key mentioning transfer and bytes (`bytesToTransfer`, `transferBytes`,
 *   `estimatedTransferBytes`) is the estimate of bytes to transfer;
 * - keys ending in `Bytes` are shown in KiB/MiB/GiB;
 * - `deletes` (engine/deletions.ts) is what a step deletes on each host: the risk summary lists it too.
 */

export interface HostFact {
  stepId: string;
  /** The key without the role prefix ("release", "virt"); the full key when the key is the role itself. */
  label: string;
  key: string;
  value: unknown;
}

export interface ExcludeFact {
  path: string;
  reason: string;
  stepId: string;
}

export function hostOfKey(key: string, roles: string[]): { role: string; rest: string } | undefined {
  for (const role of roles) {
    if (key === role) return { role, rest: "" };
    if (key.startsWith(role)) {
      const rest = key.slice(role.length);
      if (/^[A-Z]/.test(rest)) return { role, rest: rest[0]!.toLowerCase() + rest.slice(1) };
      if (/^[._-]./.test(rest)) return { role, rest: rest.slice(1) };
    }
  }
  return undefined;
}

export function isExcludeList(value: unknown): value is Array<{ path: string; reason: string }> {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (v) =>
        typeof v === "object" &&
        v !== null &&
        typeof (v as { path?: unknown }).path === "string" &&
        typeof (v as { reason?: unknown }).reason === "string",
    )
  );
}

export function isTransferEstimateKey(key: string): boolean {
  return /transfer/i.test(key) && /bytes/i.test(key);
}

/** "kernelRelease" → "kernel release", "network_files" → "network files". */
export function humanKey(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[._-]+/g, " ")
    .toLowerCase()
    .trim();
}

/** One line for a scalar or a short list; undefined when it needs a nested rendering. */
export function inlineValue(key: string, value: unknown): string | undefined {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return /bytes$/i.test(key) ? `${formatBytes(value)} (${value} bytes)` : String(value);
  if (typeof value === "string") return value === "" ? "(empty)" : value;
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value)) {
    if (value.length === 0) return "none";
    if (value.every((v) => typeof v !== "object" || v === null)) {
      const text = value.map(String).join(", ");
      return text.length <= 100 ? text : undefined;
    }
  }
  return undefined;
}

/** Markdown list lines for any value, nested objects indented (depth-limited so a huge fact stays readable). */
export function valueLines(
  key: string,
  value: unknown,
  indent = "",
  depth = 0,
  escape: (text: string) => string = plain,
): string[] {
  const label = humanKey(key);
  const inline = inlineValue(key, value);
  if (inline !== undefined) return [`${indent}- ${label}: ${escape(inline)}`];
  if (depth >= 3) return [`${indent}- ${label}: ${escape(JSON.stringify(value).slice(0, 200))}`];
  if (Array.isArray(value)) {
    const out = [`${indent}- ${label}:`];
    value.forEach((item, i) => {
      if (typeof item === "object" && item !== null && !Array.isArray(item)) {
        const entries = Object.entries(item);
        const line = entries.map(([k, v]) => `${humanKey(k)}: ${inlineValue(k, v) ?? JSON.stringify(v)}`).join(", ");
        out.push(`${indent}  - ${escape(line)}`);
      } else out.push(...valueLines(String(i + 1), item, `${indent}  `, depth + 1, escape));
    });
    return out;
  }
  const out = [`${indent}- ${label}:`];
  for (const [k, v] of Object.entries(value as Record<string, unknown>))
    out.push(...valueLines(k, v, `${indent}  `, depth + 1, escape));
  return out;
}
