import { appendFile, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Pipeline } from "../../src/engine/step.js";
import type { ScriptedHost } from "../../src/hosts/scripted-host.js";
import { buildOpenvzToKvm } from "../../src/pipelines/openvz-to-kvm/pipeline.js";
import { collectDryRun, renderDryRunMarkdown } from "../../src/report/dry-run-report.js";
import { writeRunReport } from "../../src/report/run-report.js";
import { holdsSecret } from "../../src/steps/network/network-secrets.js";
import { loadPair, PAIRS, runOvz } from "../pipelines/openvz-to-kvm/harness.js";
import { simulate } from "../pipelines/openvz-to-kvm/simulate.js";
import { tempStateDir } from "../support/run-demo.js";
import { SECRETS } from "./network-secrets-catalogue.js";
import { exitCodeForRun } from "../../src/exit-codes.js";

/** Puts every secret file on a host, appending to files the fixture already has (interfaces, fstab). */
function plant(host: ScriptedHost): void {
  for (const { path, content } of SECRETS) {
    // Debian 12 here uses ifupdown; a netplan file on the target alone is (rightly) a blocker.
    if (!content || path.startsWith("/etc/netplan/")) continue;
    const existing = host.files.get(path);
    host.putFile(path, (existing?.type === "file" ? existing.content : "") + content, { mode: 0o600 });
  }
}

/** The simulation's capture and restore of secret-holding files: cp -a as the shell would do it. */
function copyLikeCp(target: ScriptedHost): void {
  const copy = (h: ScriptedHost, from: string, to: string): void => {
    const file = h.files.get(from);
    if (file) h.files.set(to, { ...file });
  };
  target.on(
    /^mkdir -p -m 700 (\S+) && cp -a (\S+) (\S+)$/,
    (command, h) => {
      const [, dir, from, to] = /^mkdir -p -m 700 (\S+) && cp -a (\S+) (\S+)$/.exec(command)!;
      h.putDir(dir!);
      copy(h, from!, to!);
      return {};
    },
    { mutates: true },
  );
  target.on(
    /^cp -a (\S+) (\S+)$/,
    (command, h) => {
      const [, from, to] = /^cp -a (\S+) (\S+)$/.exec(command)!;
      copy(h, from!, to!);
      return {};
    },
    { mutates: true },
  );
}

const leaks = (text: string): string[] => SECRETS.filter((s) => text.includes(s.secret)).map((s) => s.what);

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe("the README's promise: no secret in journals, logs or reports", () => {
  it.each(
    SECRETS.filter((s) => s.content && /^\/etc\/(network|netplan|NetworkManager|systemd\/network)\//.test(s.path)).map(
      (s) => [s.what, s] as const,
    ),
  )("a network file with %s is recognised as holding a secret", (_what, s) => {
    expect(holdsSecret({ path: s.path, content: s.content })).toBe(true);
  });

  it("a dry run and a full run on scripted Debian hosts with every format planted write none of them", async () => {
    const { plan, source, target } = await loadPair(PAIRS.debian.plan, { maxLivePasses: 1 });
    simulate(source, target, { family: "debian", kernel: PAIRS.debian.kernel, passBytes: [1000] });
    plant(source);
    plant(target);
    // The planted configs need NetworkManager and a DHCP client: the source carries them, so the VM does after the copy.
    for (const daemon of ["/usr/sbin/NetworkManager", "/usr/sbin/dhclient"])
      source.putFile(daemon, "", { mode: 0o755 });
    copyLikeCp(target);
    const stateDir = await tempStateDir();
    dirs.push(stateDir);

    const dry = await runOvz(plan, { source, target }, "dry-run", stateDir);
    expect(exitCodeForRun(dry.outcome), dry.outcome.message).toBe(0);
    const report = renderDryRunMarkdown(
      collectDryRun(
        buildOpenvzToKvm(plan) as Pipeline<unknown>,
        { source: source.address, target: target.address },
        dry.outcome.probes,
        {},
      ),
    );
    expect(leaks(report + JSON.stringify(dry.events))).toEqual([]);

    const run = await runOvz(plan, { source, target }, "yes", stateDir);
    expect(exitCodeForRun(run.outcome), run.outcome.message).toBe(0);
    // What drive-pipeline writes beside the journal: the NDJSON log of every event, then the run report.
    const logPath = join(stateDir, `${plan.name}.log.ndjson`);
    await appendFile(logPath, run.events.map((e) => JSON.stringify(e)).join("\n") + "\n");
    await writeRunReport(stateDir, run.journal.snapshot, logPath);

    const written = await readdir(stateDir);
    expect(written.sort()).toEqual([`${plan.name}.journal.json`, `${plan.name}.log.ndjson`, `${plan.name}.report.md`]);
    for (const name of written)
      expect({ name, leaks: leaks(await readFile(join(stateDir, name), "utf8")) }).toEqual({ name, leaks: [] });
    // The target got its own secret-holding files back (kept aside on it, not carried in the journal).
    expect(target.files.get("/etc/NetworkManager/system-connections/office.nmconnection")?.content).toContain(
      "psk=NM-keyfile-psk-77",
    );
  });
});
