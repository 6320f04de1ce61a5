import { describe, expect, it } from "vitest";
import { parseSshdConfig } from "../../../src/steps/ssh-access/sshd-config.js";
import {
  matchAppliesToRoot,
  missingListenAddresses,
  rootGroupsFrom,
  rootRefusals,
} from "../../../src/steps/ssh-access/sshd-root-access.js";
import { blocking, migratedVm } from "./harness.js";

const refusals = (text: string, groups = ["root"]) =>
  rootRefusals(parseSshdConfig(text), groups).map((r) => `${r.certain ? "block" : "warn"}: ${r.why}`);

describe("sshd_config: what shuts root out", () => {
  it("AllowUsers / DenyUsers / AllowGroups / DenyGroups, accumulated over their lines", () => {
    expect(refusals("AllowUsers admin deploy\n")).toEqual(["block: AllowUsers admin deploy does not name root"]);
    expect(refusals("AllowUsers admin\nAllowUsers root\n")).toEqual([]);
    expect(refusals("AllowUsers root@198.18.0.5\n")).toEqual([
      "warn: AllowUsers lets root in only from some hosts (root@198.18.0.5)",
    ]);
    expect(refusals("DenyUsers r*t\n")).toEqual(["block: DenyUsers r*t"]);
    expect(refusals("AllowGroups sshusers\n")).toEqual([
      "block: AllowGroups sshusers names none of root's groups (root)",
    ]);
    expect(refusals("AllowGroups sshusers\n", ["root", "sshusers"])).toEqual([]);
    expect(refusals("DenyGroups wheel\n", ["root", "wheel"])).toEqual(["block: DenyGroups wheel holds root"]);
  });

  it("Match blocks: for root they block, for others they do not, by address they only warn", () => {
    expect(refusals("PermitRootLogin prohibit-password\nMatch User root\n  PermitRootLogin no\n")).toEqual([
      "block: PermitRootLogin no in Match User root",
    ]);
    expect(refusals("Match User admin,deploy\n  PermitRootLogin no\n")).toEqual([]);
    expect(refusals("Match User *,!root\n  PubkeyAuthentication no\n")).toEqual([]);
    expect(refusals("Match all\n  AuthenticationMethods publickey,password\n")).toEqual([
      "block: AuthenticationMethods publickey,password in Match all asks for more than a key",
    ]);
    expect(refusals("Match Address 198.18.0.0/15\n  PermitRootLogin no\n")).toEqual([
      "warn: PermitRootLogin no in Match Address 198.18.0.0/15",
    ]);
    expect(refusals("Match Group wheel\n  DenyUsers root\n", ["root", "wheel"])).toEqual([
      "block: DenyUsers root in Match Group wheel",
    ]);
    expect(matchAppliesToRoot("User root Address 198.18.0.0/15", ["root"])).toBe("maybe");
  });

  it("root's groups come from /etc/group (gid 0 and memberships)", () => {
    expect(rootGroupsFrom("root:x:0:\nwheel:x:10:root,admin\nusers:x:100:admin\n")).toEqual(["root", "wheel"]);
  });

  it("ListenAddress: wildcards and loopback are always there, another address must be the VM's", () => {
    const settings = parseSshdConfig(
      "ListenAddress 0.0.0.0\nListenAddress [::1]:22\nListenAddress 198.18.10.31:2222\nListenAddress 198.18.20.11\n",
    );
    expect(settings.listenAddresses).toEqual(["0.0.0.0", "::1", "198.18.10.31", "198.18.20.11"]);
    expect(missingListenAddresses(settings, ["198.18.20.11"])).toEqual(["198.18.10.31"]);
  });
});

describe("pre-reboot check: the migrated sshd", () => {
  it("sshd -t failing blocks with sshd's own message", async () => {
    const { target, probe } = await migratedVm("debian");
    target.on("/usr/sbin/sshd -t", {
      code: 255,
      stderr:
        "/etc/ssh/sshd_config: line 3: Bad configuration option: Foo\n/etc/ssh/sshd_config: terminating, 1 bad configuration options\n",
    });
    const [finding] = blocking((await probe()).findings);
    expect(finding).toMatchObject({ title: "sshd rejects the migrated config" });
    expect(finding!.summary).toMatch(/exited 255: .*line 3: Bad configuration option: Foo/);
    expect(finding!.remediation).toMatch(/sshd_config on the target/);
  });

  it("a ListenAddress of the container blocks (Debian)", async () => {
    const { target, probe } = await migratedVm("debian");
    target.putFile("/etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\nListenAddress 198.18.10.31\n");
    const [finding, ...rest] = blocking((await probe()).findings);
    expect(rest).toEqual([]);
    expect(finding!.summary).toMatch(
      /ListenAddress 198\.18\.10\.31, which is the container's, not the VM's \(198\.18\.20\.11\)/,
    );
    expect(finding!.remediation).toMatch(/remove ListenAddress 198\.18\.10\.31/);
  });

  it("a drop-in the main file includes is read: PermitRootLogin no there blocks (EL)", async () => {
    const { target, probe } = await migratedVm("rhel");
    target.putFile(
      "/etc/ssh/sshd_config",
      "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin prohibit-password\n",
    );
    target.putDir("/etc/ssh/sshd_config.d");
    target.putFile("/etc/ssh/sshd_config.d/50-hardening.conf", "PermitRootLogin no\n");
    const [finding] = blocking((await probe()).findings);
    expect(finding).toMatchObject({ title: "sshd shuts root out" });
    expect(finding!.summary).toMatch(/PermitRootLogin no;/);
  });

  it("AllowGroups without root's groups blocks; a Match by address only warns (EL)", async () => {
    const { target, probe } = await migratedVm("rhel");
    target.putFile("/etc/group", "root:x:0:\nwheel:x:10:admin\nsshusers:x:1001:admin\n");
    target.putFile(
      "/etc/ssh/sshd_config",
      "AllowGroups sshusers\nMatch Address 198.18.30.0/24\n  PermitRootLogin no\n",
    );
    const findings = (await probe()).findings.filter((f) => f.title === "sshd shuts root out");
    expect(findings.map((f) => `${f.blocks}:${f.summary.split(";")[0]}`)).toEqual([
      "true:the migrated sshd_config: AllowGroups sshusers names none of root's groups (root)",
      "false:the migrated sshd_config: PermitRootLogin no in Match Address 198.18.30.0/24",
    ]);
  });
});
