import { blocker, warning, type Finding } from "../../engine/finding.js";
import { defineStep, verifyResult } from "../../engine/step.js";
import { describeSupported, isSupported, readRelease, type Release } from "../../distro/index.js";
import { CONTAINER_TYPES, virtualization } from "../host/probes.js";
import { targetFromSource, type OvzContext, type OvzPlan } from "./plan.js";
import type { PushRoute } from "../../plan/push-route.js";
import { sameMachineFindings } from "./same-machine.js";
import { OVZ_FACTS } from "./facts.js";

const describe = (r: Release): string =>
  `${r.pretty} (ID=${r.id}, VERSION_ID=${r.versionId}, point release ${r.point} from ${r.pointSource})`;

/** Undefined when the plan names no address to push to: the copy step's probe blocks on that. */
function pushRoute(plan: OvzPlan): PushRoute | undefined {
  try {
    return targetFromSource(plan);
  } catch {
    return undefined;
  }
}

/** Compares ID, VERSION_ID and point release; a copy between different releases mixes two systems. */
export function compareReleases(source: Release | null, target: Release | null): Finding[] {
  const findings: Finding[] = [];
  if (!source)
    findings.push(
      blocker(
        "Source release unknown",
        "the source has no /etc/os-release",
        "migrate only systemd-era releases (EL7+, Debian 10+, Ubuntu 20.04+)",
        "source",
      ),
    );
  if (!target)
    findings.push(
      blocker(
        "Target release unknown",
        "the target has no /etc/os-release",
        "install the target VM from a supported release",
        "target",
      ),
    );
  if (!source || !target) return findings;
  for (const [role, r] of [
    ["source", source],
    ["target", target],
  ] as const) {
    if (!isSupported(r))
      findings.push(
        blocker(
          "Unsupported release",
          `${role} runs ${describe(r)}; supported: ${describeSupported()}`,
          undefined,
          role,
        ),
      );
  }
  const mismatch: string[] = [];
  if (source.id !== target.id) mismatch.push(`ID ${source.id} vs ${target.id}`);
  if (source.versionId !== target.versionId) mismatch.push(`VERSION_ID ${source.versionId} vs ${target.versionId}`);
  if (source.point !== target.point) mismatch.push(`point release ${source.point} vs ${target.point}`);
  if (mismatch.length > 0) {
    findings.push(
      blocker(
        "Release mismatch",
        `source ${describe(source)} and target ${describe(target)} differ (${mismatch.join(", ")}): the copy would leave the target's kernel and boot files from one release under the other's userland`,
        source.id === target.id && source.versionId === target.versionId
          ? "update both to the same point release (run the pre-update step, or update by hand) and check again"
          : `reinstall the target VM with ${source.pretty} (point release ${source.point})`,
      ),
    );
  }
  return findings;
}

/** Step 2: same distribution, same release, same point release; the target must be a VM, and another machine. */
export interface ReleasePlan {
  /** Recorded in the journal as read by the probe: the releases the admin saw compared. */
  source: Release | null;
  target: Release | null;
}

export const releaseMatch = defineStep<OvzPlan, ReleasePlan>({
  id: "release-match",
  title: "Check that source and target run the same release",
  destructive: false,

  async probe(ctx) {
    const source = await readRelease(ctx.host("source"));
    const target = await readRelease(ctx.host("target"));
    let findings = compareReleases(source, target);
    // Before the update ran, a point-release gap (8.8 vs 8.9 of the same major) may be what it closes:
    // a warning now; the probe just before this step runs (after pre-update) blocks if it remains.
    const updatePending = !ctx.plan.options.skipPreUpdate && ctx.facts.get(OVZ_FACTS.preUpdate) === undefined;
    if (
      updatePending &&
      source &&
      target &&
      source.id === target.id &&
      source.versionId.split(".")[0] === target.versionId.split(".")[0]
    ) {
      findings = findings.map((f) =>
        f.title === "Release mismatch"
          ? warning(
              f.title,
              `${f.summary}; the pre-update step may close the gap, checked again after it`,
              f.remediation,
            )
          : f,
      );
    }
    const targetVirt = await virtualization(ctx.host("target"), ctx.signal);
    const sourceVirt = await virtualization(ctx.host("source"), ctx.signal);
    // After the copy the target carries the source's files: only the pre-copy answer means anything.
    const copied = ctx.facts.get(OVZ_FACTS.syncPasses) !== undefined;
    if (!copied && CONTAINER_TYPES.has(targetVirt))
      findings.push(
        blocker(
          "Target is a container",
          `systemd-detect-virt on the target says ${targetVirt}: this pipeline needs a KVM (or other) virtual machine with its own kernel`,
          "point the plan's target at the new VM",
          "target",
        ),
      );
    findings.push(...sameMachineFindings(ctx.host("source"), ctx.host("target"), pushRoute(ctx.plan), copied));
    if (!CONTAINER_TYPES.has(sourceVirt))
      findings.push(
        warning(
          "Source is not a container",
          `systemd-detect-virt on the source says ${sourceVirt}; this pipeline is made for OpenVZ containers, whose root holds no kernel`,
          "check the plan's source",
          "source",
        ),
      );
    const details = [
      `source: ${source ? describe(source) : "unknown"} on ${sourceVirt}`,
      `target: ${target ? describe(target) : "unknown"} on ${targetVirt}`,
    ];
    return {
      satisfied: false,
      findings,
      details,
      facts: { source, target, sourceVirt, targetVirt },
      plan: { source, target },
    };
  },

  commands: () => [],

  async run(ctx: OvzContext, plan) {
    if (!ctx.facts.get(OVZ_FACTS.sourceRelease)) await ctx.facts.set(OVZ_FACTS.sourceRelease, plan.source);
    if (!ctx.facts.get(OVZ_FACTS.targetRelease)) await ctx.facts.set(OVZ_FACTS.targetRelease, plan.target);
  },

  async verify(ctx) {
    const source = ctx.facts.get(OVZ_FACTS.sourceRelease);
    const target = ctx.facts.get(OVZ_FACTS.targetRelease);
    const same = !!source && !!target && compareReleases(source, target).every((f) => !f.blocks);
    return verifyResult([
      {
        name: "same release recorded for both hosts",
        ok: same,
        detail:
          source && target ? `${source.pretty} ${source.point} / ${target.pretty} ${target.point}` : "not recorded",
      },
    ]);
  },
});
