import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LocalHost } from "../../../src/hosts/local-host.js";
import { rsyncArgv } from "../../../src/steps/rsync/command.js";
import { closeSshMasterCommand, openSshMasterCommand } from "../../../src/steps/rsync/ssh-master.js";
import { useTempDirs } from "../../support/temp-dirs.js";

const ssh = {
  user: "root",
  address: "198.18.0.9",
  port: 2222,
  identityFile: "/root/.mudanza-migrate/id_ed25519",
  knownHostsFile: "/root/.mudanza-migrate/known_hosts",
};
const tempDir = useTempDirs();

describe("the frozen pass's shared ssh connection", () => {
  it("is opened in the background with the migration key, holding no pipe of its command", () => {
    const open = openSshMasterCommand(ssh, "/run/x/master");
    expect(open).toMatch(/^ssh -i \/root\/\.mudanza-migrate\/id_ed25519 -p 2222 /);
    expect(open).toContain("-o StrictHostKeyChecking=yes");
    expect(open).toContain(
      "-o ControlMaster=yes -o ControlPath=/run/x/master -o ControlPersist=60s -f -N root@198.18.0.9",
    );
    expect(open.endsWith(" </dev/null >/dev/null 2>&1")).toBe(true);
  });

  it("an rsync given the socket runs as a session over it, or logs in itself when it is gone (ControlMaster=no)", () => {
    const argv = rsyncArgv({
      from: "/",
      to: "/",
      ssh,
      excludes: [],
      keepDirlinks: false,
      sshSharedConnection: "/run/x/master",
    });
    expect(argv[argv.indexOf("-e") + 1]).toMatch(/ -o ControlPath=\/run\/x\/master -o ControlMaster=no$/);
    const plain = rsyncArgv({ from: "/", to: "/", ssh, excludes: [], keepDirlinks: false });
    expect(plain[plain.indexOf("-e") + 1]).not.toContain("ControlPath");
  });

  it("closing a connection that is not there does nothing and succeeds", async () => {
    const dir = await tempDir("mudanza-master-");
    // No socket: ssh is never started (it would fail: nothing listens at 198.18.0.9).
    const result = await new LocalHost("source").exec(closeSshMasterCommand(ssh, join(dir, "master")));
    expect(result).toMatchObject({ code: 0, stdout: "", stderr: "" });
  });
});
