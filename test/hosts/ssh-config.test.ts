/** ~/.ssh/config resolution (ssh-config package + our precedence rules) and the ProxyJump chain. */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  loadSshConfig,
  parseProxyJump,
  parseSshConfigText,
  resolveTarget,
} from "../../src/hosts/ssh/config-resolution.js";
import { resolveJumpChain } from "../../src/hosts/ssh/establish.js";
import { SshSetupError } from "../../src/hosts/ssh/errors.js";
import { BadInputError } from "../../src/errors.js";

const HOME = "/home/admin";
const CONFIG = `
# as a sysadmin's ~/.ssh/config might read
Host old
    HostName old.example.org
    User deploy
    Port 2222
    IdentityFile ~/.ssh/id_migration
    ProxyJump bastion

Host bastion
    HostName bastion.example.org
    User jump
    IdentityFile %d/.ssh/id_bastion

Host inner
    HostName %h.internal.example.org
    ProxyJump admin@bastion:2200,gateway
    HostKeyAlias inner-key
    IdentitiesOnly yes

Host loop1
    ProxyJump loop2
Host loop2
    ProxyJump loop1

Host *.example.org
    UserKnownHostsFile ~/.ssh/known_hosts.d/example %d/.ssh/known_hosts
    GlobalKnownHostsFile /etc/ssh/example_known_hosts

Host *
    User fallback
`;

let savedHome: string | undefined;
beforeAll(() => {
  savedHome = process.env.HOME;
  process.env.HOME = HOME;
});
afterAll(() => {
  process.env.HOME = savedHome;
});

describe("resolveTarget", () => {
  const config = parseSshConfigText(CONFIG, "test");

  it("takes HostName, User, Port, IdentityFile and ProxyJump from the config when the plan has defaults", () => {
    const t = resolveTarget(config, { host: "old", port: 22, user: "root" }, "localuser");
    expect(t).toMatchObject({
      alias: "old",
      hostName: "old.example.org",
      port: 2222,
      user: "deploy",
      identityFiles: [`${HOME}/.ssh/id_migration`],
      identityFilesConfigured: true,
      proxyJump: [{ host: "bastion", port: undefined, user: undefined }],
      hostKeyName: "old.example.org",
    });
  });

  it("lets explicit plan values win over the config", () => {
    const t = resolveTarget(
      config,
      { host: "old", port: 2200, user: "admin", identityFile: "/keys/plan_key" },
      "localuser",
    );
    expect(t).toMatchObject({
      hostName: "old.example.org",
      port: 2200,
      user: "admin",
      identityFiles: ["/keys/plan_key"],
    });
  });

  it("uses OpenSSH defaults for an unknown host: port 22, the plan's user, default key names", () => {
    const empty = parseSshConfigText("", "empty");
    const t = resolveTarget(empty, { host: "new.example.org", port: 22, user: "root" }, "localuser");
    expect(t).toMatchObject({
      hostName: "new.example.org",
      port: 22,
      user: "root",
      identityFilesConfigured: false,
      proxyJump: [],
    });
    expect(t.identityFiles).toEqual([`${HOME}/.ssh/id_ed25519`, `${HOME}/.ssh/id_ecdsa`, `${HOME}/.ssh/id_rsa`]);
    expect(t.knownHostsFiles).toEqual([`${HOME}/.ssh/known_hosts`, "/etc/ssh/ssh_known_hosts"]);
    // a jump host with nothing configured logs in as the local user, as ssh does
    expect(resolveTarget(empty, { host: "j" }, "localuser").user).toBe("localuser");
  });

  it("expands %h, %d and ~, reads known_hosts files, HostKeyAlias and IdentitiesOnly", () => {
    const t = resolveTarget(config, { host: "inner", port: 22, user: "root" }, "localuser");
    expect(t.hostName).toBe("inner.internal.example.org");
    expect(t.hostKeyName).toBe("inner-key");
    expect(t.identitiesOnly).toBe(true);
    expect(t.user).toBe("fallback");
    // Host patterns match the name as given (like ssh), not the HostName it resolves to
    expect(resolveTarget(config, { host: "old" }, "localuser").knownHostsFiles).toEqual([
      `${HOME}/.ssh/known_hosts`,
      "/etc/ssh/ssh_known_hosts",
    ]);
    const o = resolveTarget(config, { host: "web.example.org" }, "localuser");
    expect(o.knownHostsFiles).toEqual([
      `${HOME}/.ssh/known_hosts.d/example`,
      `${HOME}/.ssh/known_hosts`,
      "/etc/ssh/example_known_hosts",
    ]);
  });

  it("refuses a Port that is not a port", () => {
    const bad = parseSshConfigText("Host x\n  Port 99999\n", "bad");
    expect(() => resolveTarget(bad, { host: "x", port: 22 })).toThrow(SshSetupError);
  });
});

describe("ProxyJump", () => {
  const config = parseSshConfigText(CONFIG, "test");

  it("parses ssh -J syntax", () => {
    expect(parseProxyJump("admin@bastion:2200,gateway")).toEqual([
      { host: "bastion", port: 2200, user: "admin" },
      { host: "gateway", port: undefined, user: undefined },
    ]);
    expect(parseProxyJump("ssh://u@[2001:db8::1]:22")).toEqual([{ host: "2001:db8::1", port: 22, user: "u" }]);
    expect(() => parseProxyJump("a@b:c:d")).toThrow(BadInputError);
  });

  it("resolves each hop through the config, first hop first", () => {
    const target = resolveTarget(config, { host: "inner", port: 22, user: "root" }, "localuser");
    const chain = resolveJumpChain(config, target, "source");
    expect(chain.map((h) => [h.alias, h.hostName, h.port, h.user])).toEqual([
      ["bastion", "bastion.example.org", 2200, "admin"],
      ["gateway", "gateway", 22, "fallback"],
    ]);
    expect(chain[0]!.identityFiles).toEqual([`${HOME}/.ssh/id_bastion`]);
  });

  it("follows the first hop's own ProxyJump and stops on loops", () => {
    const old = resolveTarget(config, { host: "old", port: 22, user: "root" }, "localuser");
    expect(resolveJumpChain(config, old, "source").map((h) => h.hostName)).toEqual(["bastion.example.org"]);
    const loop = resolveTarget(config, { host: "loop1", port: 22, user: "root" }, "localuser");
    expect(() => resolveJumpChain(config, loop, "source")).toThrow(/ProxyJump chain longer than/);
  });
});

describe("loadSshConfig", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mudanza-sshconfig-"));
  });
  afterAll(async () => {
    delete process.env.MUDANZA_SSH_CONFIG;
    await rm(dir, { recursive: true, force: true });
  });

  it("reads only $MUDANZA_SSH_CONFIG when set, and fails clearly when it is missing", async () => {
    const path = join(dir, "config");
    await writeFile(path, "Host x\n  HostName x.example.org\n");
    process.env.MUDANZA_SSH_CONFIG = path;
    expect(resolveTarget(await loadSshConfig(), { host: "x" }).hostName).toBe("x.example.org");
    process.env.MUDANZA_SSH_CONFIG = join(dir, "missing");
    await expect(loadSshConfig()).rejects.toThrow(
      /cannot read ssh config .*missing \(from MUDANZA_SSH_CONFIG\): ENOENT/,
    );
    process.env.MUDANZA_SSH_CONFIG = "none";
    expect(resolveTarget(await loadSshConfig(), { host: "x" }).hostName).toBe("x");
  });

  it("follows Include, at top level and inside a Host block", async () => {
    await mkdir(join(dir, "conf.d"));
    await writeFile(join(dir, "conf.d", "10-hosts.conf"), "Host db\n  HostName db.example.org\n  Port 2201\n");
    await writeFile(join(dir, "conf.d", "20-more.conf"), "Host cache\n  HostName cache.example.org\n");
    await writeFile(join(dir, "conf.d", "notes.txt"), "Host db\n  HostName wrong.example.org\n");
    await writeFile(join(dir, "bastion-users"), "User via-include\n");
    const path = join(dir, "config-with-include");
    await writeFile(
      path,
      [
        "Include conf.d/*.conf",
        "Host web",
        "  Include bastion-users",
        "  HostName web.example.org",
        "Host *",
        "  User everyone",
      ].join("\n"),
    );
    process.env.MUDANZA_SSH_CONFIG = path;
    const config = await loadSshConfig();
    expect(resolveTarget(config, { host: "db" })).toMatchObject({
      hostName: "db.example.org",
      port: 2201,
      user: "everyone",
    });
    expect(resolveTarget(config, { host: "cache" }).hostName).toBe("cache.example.org");
    // the Include inside "Host web" applies to web only, and the block goes on after it
    expect(resolveTarget(config, { host: "web" })).toMatchObject({ hostName: "web.example.org", user: "via-include" });
    expect(resolveTarget(config, { host: "db" }).user).toBe("everyone");
  });
});
