import type { FactValue } from "../engine/facts.js";
import type { OVZ_FACTS } from "../steps/openvz-to-kvm/facts.js";
import { code, plain } from "./markdown.js";

export type RestoredPackages = FactValue<typeof OVZ_FACTS.restoredPackages>;

const isString = (v: unknown): v is string => typeof v === "string";
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/**
 * The restore-vm-packages fact from a raw journal, or undefined (absent, or another pipeline's journal).
 * Checked by hand, not with the fact's zod schema: `status` and `runs` render reports and never load zod.
 */
export function restoredPackagesOf(facts: Readonly<Record<string, unknown>>): RestoredPackages | undefined {
  const value = facts["restoredPackages"];
  if (!isObject(value) || !isString(value.at) || !Array.isArray(value.report) || !value.report.every(isString))
    return undefined;
  const { restored, exceptions } = value;
  if (!Array.isArray(restored) || !Array.isArray(exceptions)) return undefined;
  const okRestored = restored.every(
    (p) => isObject(p) && isString(p.name) && (p.version === null || isString(p.version)),
  );
  const okExceptions = exceptions.every((e) => isObject(e) && isString(e.name) && isString(e.reason));
  return okRestored && okExceptions ? (value as RestoredPackages) : undefined;
}

/** "Packages put back on the VM": what was reinstalled at which version, and each package left out with why. */
export function restoredPackagesSection(restored: RestoredPackages): string[] {
  const out = ["## Packages put back on the VM", ""];
  out.push(
    restored.restored.length === 0
      ? "None of the VM's packages needed reinstalling."
      : `Reinstalled ${restored.restored.length} package(s) of the VM that the copy removed: ${restored.restored
          .map(
            (p) =>
              code(p.version ? `${p.name} ${p.version}` : p.name) + (p.version ? "" : " (the repositories' candidate)"),
          )
          .join(", ")}.`,
    "",
  );
  for (const e of restored.exceptions) out.push(`- Not reinstalled: ${code(e.name)}: ${plain(e.reason)}`);
  const exceptionLines = new Set(restored.exceptions.map((e) => `${e.name}: not reinstalled, ${e.reason}`));
  for (const line of restored.report.filter((l) => !exceptionLines.has(l))) out.push(`- ${plain(line)}`);
  if (out.length > 4) out.push("");
  return out;
}
