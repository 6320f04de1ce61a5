import type { Pipeline, Step } from "../../engine/step.js";
import type { PlanOf } from "../../plan/schema.js";
import { preUpdate } from "../../steps/openvz-to-kvm/pre-update.js";
import { releaseMatch } from "../../steps/openvz-to-kvm/release-match.js";
import { captureTarget } from "../../steps/openvz-to-kvm/capture-target.js";
import { rsyncStep } from "../../steps/openvz-to-kvm/rsync-step.js";
import { dbFreezeFor } from "../../steps/openvz-to-kvm/db-freeze.js";
import { networkFixup } from "../../steps/openvz-to-kvm/network-fixup.js";
import { kernelInstall } from "../../steps/openvz-to-kvm/kernel-install.js";
import { restoreVmPackages } from "../../steps/openvz-to-kvm/restore-vm-packages.js";
import { preRebootCheck } from "../../steps/openvz-to-kvm/pre-reboot-check.js";
import { rebootVerify } from "../../steps/openvz-to-kvm/reboot-verify.js";
import { cutover } from "../../steps/openvz-to-kvm/cutover.js";
import { FACT } from "../../steps/openvz-to-kvm/plan.js";
import { checkpointStep } from "../../steps/checkpoints/take-checkpoint.js";
import { withUndoNote } from "../../steps/checkpoints/undo-note.js";
import { deleteCheckpoints } from "../../steps/checkpoints/delete-checkpoints.js";

/** Both sides before the pre-update step (none when the plan skips it), the target before the first copy. */
const checkpointBeforeUpdate = (plan: PlanOf<"openvz-to-kvm">) =>
  checkpointStep(
    "before-update",
    ["target", "source"],
    (p) => (p.options.skipPreUpdate ? "the plan skips the pre-update step (skipPreUpdate)" : undefined),
    plan,
  );
const checkpointBeforeCopy = checkpointStep("before-copy", ["target"]);

/**
 * OpenVZ container -> KVM VM, the by-hand recipe as checked steps: update both, same release, save the
 * VM's identity, copy live, freeze the databases for the final pass, put the VM's network back,
 * reinstall its kernel package and the packages the copy took from it, check that it will come back, reboot and check, and only then (if the plan says so) cut over. Where the
 * plan names checkpoints, they are taken before the pre-update step and before the first copy.
 */
export function buildOpenvzToKvm(plan: PlanOf<"openvz-to-kvm">, planPath?: string): Pipeline<PlanOf<"openvz-to-kvm">> {
  return {
    kind: "openvz-to-kvm",
    title: "OpenVZ container to KVM virtual machine",
    steps: [
      checkpointBeforeUpdate(plan),
      preUpdate,
      releaseMatch,
      captureTarget,
      checkpointBeforeCopy,
      rsyncStep,
      dbFreezeFor(plan),
      networkFixup,
      kernelInstall,
      restoreVmPackages,
      preRebootCheck,
      rebootVerify,
      cutover,
      deleteCheckpoints(planPath),
    ].map((step) => withUndoNote(step as Step<PlanOf<"openvz-to-kvm">>, planPath)),
    expectedHostKeys: (facts) => targetKeysOnResume(facts, plan.target.hostKey),
    acknowledged: plan.options.acknowledge,
    unreachableHint: (connected, status) =>
      !connected.includes("target") && status(rsyncStep.id) !== "pending" && status(networkFixup.id) !== "done"
        ? `the copy onto the target had begun and ${networkFixup.id} had not put the VM's own network configuration back: a target that rebooted since came up with the source's and has no network. Restore its files from its console, or \`mudanza rollback\` to a checkpoint taken before the copy (if the plan has checkpoints).`
        : undefined,
  };
}

/**
 * Once the copy may have started, the target presents its own keys or (after a pass) the source's: both
 * sets were read over verified connections and journaled by capture-target, so a resumed run trusts
 * exactly their union for the target and nothing else. A key pinned in the plan (target.hostKey) stands
 * for the target's own keys: the pin is what the admin vouched for, the journal never widens it.
 */
export function targetKeysOnResume(facts: Record<string, unknown>, pinned?: string): { target?: string[] } {
  const own = pinned ? [pinned] : facts[FACT.targetHostKeyFingerprints];
  const source = facts[FACT.sourceHostKeyFingerprints];
  if (!Array.isArray(own) || !Array.isArray(source) || source.length === 0) return {};
  return { target: [...new Set([...own, ...source].filter((k): k is string => typeof k === "string"))] };
}
