import { readFile, rm } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import type { PipelineEvent } from "../../src/engine/events.js";
import type { RunMode } from "../../src/engine/runner.js";
import { InterruptedError } from "../../src/errors.js";
import { exitCodeForRun } from "../../src/exit-codes.js";
import { delegatingHost } from "../../src/hosts/delegating-host.js";
import type { ExecResult, Host } from "../../src/hosts/host.js";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";
import { ScriptedHost } from "../../src/hosts/scripted-host.js";
import { buildHostDoctor } from "../../src/pipelines/host-doctor/pipeline.js";
import { buildImageSparsify } from "../../src/pipelines/image-sparsify/pipeline.js";
import { validateSparsifyOptions } from "../../src/plan/options/image-sparsify.js";
import { runLocal } from "../image/run-local.js";
import { demoHosts } from "../support/demo-hosts.js";
import { runDemo, tempStateDir } from "../support/run-demo.js";
import { Journal } from "../../src/journal/journal.js";

const fx = (p: string): Promise<string> => readFile(`fixtures/kvm/${p}`, "utf8");

/**
 * `host`, where the `nth` command matching `pattern` is cut short by Ctrl-C (or SIGTERM) as LocalHost does:
 * the run's signal aborts while it runs, and it returns code -1, aborted, with what the killed tool said.
 * Every command after it then finds the signal aborted, as it would on a real host.
 */
function interruptedAt(
  host: Host,
  controller: AbortController,
  pattern: RegExp,
  nth = 1,
  signal: "SIGINT" | "SIGTERM" = "SIGINT",
  stderr = "",
): Host {
  let seen = 0;
  return delegatingHost(host, {
    exec: (command, options) => {
      if (!pattern.test(command) || ++seen !== nth) return host.exec(command, options);
      controller.abort(new InterruptedError(signal));
      return Promise.resolve<ExecResult>({ code: -1, stdout: "", stderr, aborted: true });
    },
  });
}

/** A disk with room everywhere and virt-sparsify installed (real qemu-img, df and KVM smoke outputs). */
async function sparsifyHost(): Promise<ScriptedHost> {
  const info = await fx("qemu-img/info-base.json");
  const host = await loadScriptedHost("fixtures/kvm/hosts/kvm-host", "local");
  host.putFile("/srv/vm/web1.qcow2", "");
  host.on("qemu-img info -U --output=json /srv/vm/web1.qcow2", { stdout: info });
  host.on("qemu-img info --output=json /srv/vm/web1.qcow2", { stdout: info });
  host.on("command -v virt-sparsify", { stdout: "/usr/bin/virt-sparsify\n" });
  host.on(/^df -P -T -B1 -- /, { stdout: await fx("df/df-PTB1-tmp.txt") });
  return host;
}

const sparsifyPlan = () => validateSparsifyOptions({ disk: "/srv/vm/web1.qcow2", uri: "qemu:///system" }, {});

/** Every finding the faces were shown, from the events. */
const shownFindings = (events: PipelineEvent[]) =>
  events.flatMap((e) => (e.type === "step-probed" ? e.findings.map((f) => `${e.stepId}: ${f.title}`) : []));

async function sparsifyInterrupted(mode: RunMode, nth: number, signal: "SIGINT" | "SIGTERM" = "SIGINT") {
  const controller = new AbortController();
  const host = interruptedAt(await sparsifyHost(), controller, /^df /, nth, signal);
  return runLocal(buildImageSparsify(), sparsifyPlan(), mode, { host, signal: controller.signal });
}

describe("an interrupt is never a finding (found by a new-user trial)", () => {
  it("the same host without an interrupt passes its checks: the blockers below could only come from the interrupt", async () => {
    const { outcome } = await runLocal(buildImageSparsify(), sparsifyPlan(), "dry-run", {
      host: await sparsifyHost(),
    });
    expect(outcome.status).toBe("dry-run");
    expect(outcome.findings.filter((f) => f.blocks)).toEqual([]);
  });

  it("Ctrl-C during a dry run's df: interrupted, and no 'folder missing' blocker is shown or kept", async () => {
    const { outcome, events } = await sparsifyInterrupted("dry-run", 1);
    expect({ status: outcome.status, exit: exitCodeForRun(outcome) }).toEqual({ status: "interrupted", exit: 130 });
    expect(shownFindings(events)).toEqual([]);
    expect(outcome.findings).toEqual([]);
  });

  it("Ctrl-C during the probe just before the step runs (--yes): exit 130, not blocked (exit 3)", async () => {
    // The preflight's probe asks df twice (temporary and output folder); the third is the run phase's probe.
    const { outcome, events } = await sparsifyInterrupted("yes", 3);
    expect({ status: outcome.status, exit: exitCodeForRun(outcome) }).toEqual({ status: "interrupted", exit: 130 });
    expect(events.filter((e) => e.type === "step-end" && e.status === "blocked")).toEqual([]);
    expect(shownFindings(events)).toEqual([]);
    expect(events.some((e) => e.type === "step-start" && e.phase === "run")).toBe(false);
  });

  it("SIGTERM during that probe exits 143", async () => {
    const { outcome } = await sparsifyInterrupted("yes", 3, "SIGTERM");
    expect({ status: outcome.status, exit: exitCodeForRun(outcome) }).toEqual({ status: "interrupted", exit: 143 });
  });

  it("host doctor: the KVM smoke boot's QEMU killed by the interrupt is not 'KVM cannot run guests here'", async () => {
    const controller = new AbortController();
    const host = interruptedAt(
      await loadScriptedHost("fixtures/kvm/hosts/kvm-host", "local"),
      controller,
      /-accel kvm /,
      1,
      "SIGINT",
      "qemu-system-x86_64: terminating on signal 15 from pid 4242 (node)\n",
    );
    const plan = { uri: "qemu:///system", bridge: "br0", enableKsm: false, openvz: null };
    const { outcome, events } = await runLocal(buildHostDoctor(), plan, "dry-run", { host, signal: controller.signal });
    expect(outcome.status).toBe("interrupted");
    expect(shownFindings(events).filter((f) => f.startsWith("virtualization"))).toEqual([]);
    expect(outcome.probes.virtualization).toBeUndefined();
  });

  it("a probe that throws because of the interrupt is not shown as a 'cannot check' blocker", async () => {
    const hosts = demoHosts();
    const controller = new AbortController();
    hosts.source.readFile = async () => {
      controller.abort(new InterruptedError("SIGINT"));
      throw new Error("the connection was closed");
    };
    const stateDir = await tempStateDir();
    try {
      const { outcome, events } = await runDemo(hosts, stateDir, { mode: "dry-run", signal: controller.signal });
      expect(outcome.status).toBe("interrupted");
      expect(shownFindings(events)).toEqual([]);
      expect(outcome.findings).toEqual([]);
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it("a resumed run's check of a done step, cut short by Ctrl-C, leaves it done: its work is not redone", async () => {
    const hosts = demoHosts();
    const stateDir = await tempStateDir();
    try {
      expect((await runDemo(hosts, stateDir)).outcome.status).toBe("done");
      const controller = new AbortController();
      // The stat Ctrl-C cut short answers "absent", so stop-service's check fails.
      hosts.target.stat = async () => {
        controller.abort(new InterruptedError("SIGINT"));
        return null;
      };
      const { outcome } = await runDemo(hosts, stateDir, { signal: controller.signal });
      expect(outcome.status).toBe("interrupted");
      const journal = await Journal.read(Journal.pathFor(stateDir, "demo"));
      expect(Object.values(journal!.steps).map((s) => s.status)).toEqual(["done", "done", "done", "done"]);
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
