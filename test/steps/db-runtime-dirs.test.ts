import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { execa } from "execa";
import { captureTarget } from "../../src/steps/openvz-to-kvm/capture-target.js";
import { dbFreeze, TMPFILES_RUN } from "../../src/steps/openvz-to-kvm/db-freeze.js";
import { rsyncStep } from "../../src/steps/openvz-to-kvm/rsync-step.js";
import { loadPair, PAIRS } from "../pipelines/openvz-to-kvm/harness.js";
import { simulate, words } from "../pipelines/openvz-to-kvm/simulate.js";
import { stepContext } from "./context.js";

const hasTmpfiles = (() => {
  try {
    execFileSync("systemd-tmpfiles", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/**
 * The copy excludes /run, so the target has no /run/mysqld (or /run/postgresql) until a boot runs the
 * copied tmpfiles.d entries: db-freeze creates the /run ones before starting the databases there.
 */
describe("the databases' runtime directories on the target", () => {
  it.skipIf(!hasTmpfiles)(
    "the command creates /run entries of tmpfiles.d and nothing outside /run (real systemd-tmpfiles, --root)",
    async () => {
      const root = await mkdtemp(join(tmpdir(), "mudanza-tmpfiles-"));
      await mkdir(join(root, "usr/lib/tmpfiles.d"), { recursive: true });
      // tmpfiles.d(5) lines as MariaDB's package ships them (owner root here: the scratch root has no mysql user).
      await writeFile(
        join(root, "usr/lib/tmpfiles.d/mariadb.conf"),
        "d /run/mysqld 0755 root root -\nd /var/lib/mysql-files 0770 root root -\n",
      );
      await execa("sh", ["-c", `${TMPFILES_RUN} --root=${root}`]);
      expect((await stat(join(root, "run/mysqld"))).isDirectory()).toBe(true);
      expect(
        await stat(join(root, "var/lib/mysql-files")).then(
          () => true,
          () => false,
        ),
      ).toBe(false);
    },
  );

  it("db-freeze runs it on the target before starting the databases there", async () => {
    const { plan, source, target } = await loadPair(PAIRS.alma.plan, { maxLivePasses: 1 });
    const state = simulate(source, target, { family: "rhel", kernel: PAIRS.alma.kernel, passBytes: [0] });
    target.on(TMPFILES_RUN, (_c, h) => (h.putDir("/run/mysqld"), {}), { mutates: true });
    // mariadb.service fails without its runtime directory, as on a real target after the copy.
    target.on(
      /^systemctl start /,
      (command, h) => {
        if (!h.files.has("/run/mysqld"))
          return {
            code: 1,
            stderr: "Job for mariadb.service failed because the control process exited with error code.\n",
          };
        for (const u of words(command).slice(2)) state.units.target.set(u, true);
        return {};
      },
      { mutates: true },
    );
    const { ctx, compensations } = stepContext(plan, { source, target });
    await captureTarget.run(ctx, (await captureTarget.probe(ctx)).plan);
    await rsyncStep.run(ctx, (await rsyncStep.probe(ctx)).plan);
    const probe = await dbFreeze.probe(ctx);
    expect(probe.commands.some((c) => c.host === "target" && c.command === TMPFILES_RUN)).toBe(true);
    await dbFreeze.run(ctx, probe.plan);
    expect(state.units.target.get("mariadb.service")).toBe(true);
    expect(state.units.source.get("mariadb.service")).toBe(true);
    expect(compensations.has("start-databases-source")).toBe(false);
  });
});
