import { describe, expect, it } from "vitest";
import { parseSshdConfig, sshdLockoutFindings } from "../../src/steps/ssh-access/sshd-config.js";
import { rsyncStep } from "../../src/steps/openvz-to-kvm/rsync-step.js";
import { loadPair, PAIRS } from "../pipelines/openvz-to-kvm/harness.js";
import { stepContext } from "./context.js";

/** sshd_config(5) syntax: keyword and value, first value wins, Match blocks to the end, Include in place. */
const summary = (text: string, port = 22) =>
  sshdLockoutFindings(parseSshdConfig(text), port).map((f) => `${f.blocks ? "block" : "warn"}: ${f.title}`);

describe("the source's sshd_config the VM will run", () => {
  it("Debian 12's stock file (Include first, everything commented) gives nothing to report", () => {
    expect(
      summary(
        "Include /etc/ssh/sshd_config.d/*.conf\n\n#Port 22\n#PermitRootLogin prohibit-password\nKbdInteractiveAuthentication no\nUsePAM yes\nX11Forwarding yes\nPrintMotd no\nAcceptEnv LANG LC_*\nSubsystem\tsftp\t/usr/lib/openssh/sftp-server\n",
      ),
    ).toEqual([]);
  });
  it("PermitRootLogin no blocks; after an Include it only warns", () => {
    expect(summary("PermitRootLogin no\n")).toEqual(["block: Source's sshd refuses root"]);
    expect(summary("Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n")).toEqual([
      "warn: Source's sshd refuses root",
    ]);
  });
  it("the first value wins and Match blocks are not global", () => {
    expect(summary("PermitRootLogin prohibit-password\nPermitRootLogin no\n")).toEqual([]);
    expect(summary("PermitRootLogin yes\nMatch Address 198.18.0.0/15\n  PermitRootLogin no\n")).toEqual([]);
  });
  it("key logins off blocks; another port or keys file warns", () => {
    expect(summary("PubkeyAuthentication no\n")).toEqual(["block: Source's sshd refuses keys"]);
    expect(summary("Port 2222\n", 22)).toEqual(["warn: Source's sshd port differs"]);
    expect(summary("Port 2222\nPort 22\n", 22)).toEqual([]);
    expect(summary("AuthorizedKeysFile /etc/ssh/keys/%u\n")).toEqual(["warn: Source's sshd reads keys elsewhere"]);
    expect(summary("AuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys2\n")).toEqual([]);
  });
  it("the copy's probe reports it for an SSH target, reading the file only", async () => {
    const { plan, source, target } = await loadPair(PAIRS.debian.plan);
    source.putFile("/etc/ssh/sshd_config", "PermitRootLogin no\n");
    const sshPlan = { ...plan, target: { ...plan.target, transport: "ssh" as const, host: "198.18.20.11" } };
    const probe = await rsyncStep.probe(stepContext(sshPlan, { source, target }).ctx);
    expect(probe.findings.filter((f) => f.blocks).map((f) => f.title)).toEqual(["Source's sshd refuses root"]);
    expect(source.mutations).toEqual([]);
  });
});
