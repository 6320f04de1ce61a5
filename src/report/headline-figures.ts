import { FACT as OVZ_FACT } from "../steps/openvz-to-kvm/plan.js";
import { FACT as VSERVER_FACT } from "../steps/vserver-to-openvz/context.js";

/** The numbers an admin asks for first after a migration, read from the journal's facts. */
export interface HeadlineFigures {
  /** Databases stopped (the final copy): OpenVZ → KVM. */
  freezeWindowSec?: number;
  /** The guest was down from its stop to the container's checks: VServer → OpenVZ. */
  downtimeSec?: number;
}

const num = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;

export function headlineFigures(facts: Readonly<Record<string, unknown>>): HeadlineFigures {
  const freezeWindowSec = num(facts[OVZ_FACT.freezeWindowSec]);
  const downtimeSec = num(facts[VSERVER_FACT.downtimeSec]);
  return {
    ...(freezeWindowSec !== undefined ? { freezeWindowSec } : {}),
    ...(downtimeSec !== undefined ? { downtimeSec } : {}),
  };
}

/** "Freeze window 12.3 s (databases stopped) · downtime 40 s", or undefined when neither is known. */
export function describeHeadline(figures: HeadlineFigures): string | undefined {
  const parts: string[] = [];
  // VServer → OpenVZ records its downtime as the freeze window too: say it once, as downtime.
  const sameAsDowntime = figures.freezeWindowSec !== undefined && figures.freezeWindowSec === figures.downtimeSec;
  if (figures.freezeWindowSec !== undefined && !sameAsDowntime)
    parts.push(`Freeze window ${figures.freezeWindowSec} s (databases stopped for the final copy)`);
  if (figures.downtimeSec !== undefined)
    parts.push(`Downtime ${figures.downtimeSec} s (guest stopped until the container answered)`);
  return parts.length > 0 ? parts.join(" · ") : undefined;
}
