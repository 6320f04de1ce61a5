import { describe, expect, it } from "vitest";
import { ScriptedHost } from "../../src/hosts/scripted-host.js";
import { tracedHost } from "../../src/hosts/traced-host.js";
import { redactSecrets } from "../../src/journal/secrets.js";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";

describe("--debug trace of a host (issue 14)", () => {
  it("traces each command with its result, and file access by path only", async () => {
    const lines: string[] = [];
    const inner = new ScriptedHost("source")
      .on("uname -r", { stdout: "6.1.0\n" })
      .putFile("/etc/app.conf", "secret=abc\n");
    const host = tracedHost(inner, (line) => lines.push(line));
    expect((await host.exec("uname -r")).stdout).toBe("6.1.0\n");
    expect(await host.readFile("/etc/app.conf")).toBe("secret=abc\n");
    await host.writeFile("/etc/new.conf", KEY, { mode: 0o600 });
    expect(lines[0]).toBe("source: $ uname -r");
    expect(lines[1]).toMatch(/^source: {3}exit 0 after \d+ ms$/);
    expect(lines).toContain("source: read /etc/app.conf");
    expect(lines.join("\n")).not.toContain("abc");
    expect(lines.join("\n")).not.toContain("b3BlbnNzaC1rZXkt");
    expect(host.role).toBe("source");
    expect(host.address).toBe(inner.address);
  });

  it("never prints a secret found in a command line: the redaction keeps the name, drops the value", async () => {
    const lines: string[] = [];
    const host = tracedHost(new ScriptedHost("target").on(/^printf/, { code: 0 }), (line) => lines.push(line));
    await host.exec(`printf '%s' 'wpa-psk "hunter22"' > /etc/x; mysql --password=hunter22 -e 'SELECT 1'`);
    expect(lines[0]).not.toContain("hunter22");
    expect(lines[0]).toContain("--password=[redacted]");
    expect(redactSecrets(`echo '${KEY}' > /root/.ssh/id`)).toBe("echo '[redacted private key]' > /root/.ssh/id");
    expect(redactSecrets("PASSPHRASE: 'a b'")).toBe("PASSPHRASE: [redacted]");
    expect(redactSecrets("systemctl stop mariadb")).toBe("systemctl stop mariadb");
    // a URI's password (a libvirt --connect URI, new-user trial 8); a URI without one, and an address, stay
    expect(redactSecrets("virsh -c 'qemu+ssh://root:hunter2@127.0.0.1/system' list")).toBe(
      "virsh -c 'qemu+ssh://root:***@127.0.0.1/system' list",
    );
    expect(redactSecrets("virsh -c qemu+ssh://root@127.0.0.1/system list")).toBe(
      "virsh -c qemu+ssh://root@127.0.0.1/system list",
    );
    expect(redactSecrets("ssh root@127.0.0.1 -p 22")).toBe("ssh root@127.0.0.1 -p 22");
  });
});
