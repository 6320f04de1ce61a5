import { describe, expect, it } from "vitest";
import { BadInputError } from "../../src/errors.js";
import { loadPlan, parsePlan } from "../../src/plan/load.js";

const good = `kind: openvz-to-kvm
source: { host: old.example.org, port: 22, user: root }
target: { host: new.example.org, port: 2222, user: admin, sudo: true }
`;

/** The message a plan text is refused with (the test fails if it is accepted). */
const errorOf = (text: string): string => {
  try {
    parsePlan(text, "p.yaml");
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the plan was accepted");
};

describe("plan files", () => {
  it("accepts the minimum shape and fills defaults", () => {
    const { plan, migrationId, hash } = parsePlan(good, "/plans/web1.yaml");
    expect(plan.kind).toBe("openvz-to-kvm");
    expect(plan.target).toMatchObject({
      transport: "ssh",
      host: "new.example.org",
      port: 2222,
      user: "admin",
      sudo: true,
    });
    expect(migrationId).toBe("web1");
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("hashes the meaning, not the formatting", () => {
    const reordered = `target: {user: admin, sudo: true, port: 2222, host: new.example.org}\nsource: {user: root, port: 22, host: old.example.org}\nkind: openvz-to-kvm\n`;
    expect(parsePlan(reordered, "/p/web1.yaml").hash).toBe(parsePlan(good, "/p/web1.yaml").hash);
    expect(parsePlan(good.replace("2222", "2223"), "/p/web1.yaml").hash).not.toBe(parsePlan(good, "/p/web1.yaml").hash);
  });

  it("names the file, the key path and what was expected", () => {
    const bad = good
      .replace("port: 2222", 'port: "ssh"')
      .replace("kind: openvz-to-kvm", "kind: openvz-to-kvm\nextra: 1");
    let error: unknown;
    try {
      parsePlan(bad, "/plans/web1.yaml");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BadInputError);
    const message = (error as Error).message;
    expect(message).toContain("/plans/web1.yaml is not a valid plan");
    expect(message).toContain('target.port must be a number, not the text "ssh"');
    expect(message).toMatch(/extra/);
  });

  it("a yes, no, on or off where a boolean belongs says to write true or false (YAML 1.1 habits; found by a new-user trial)", () => {
    const plan = (options: string) => () => parsePlan(`${good}options:\n${options}`, "p.yaml");
    expect(plan("  cutover: yes\n")).toThrow(
      'options.cutover must be true or false, not the text "yes" (write true, without quotes: this YAML reads "yes" as text)',
    );
    expect(plan("  skipPreUpdate: Off\n")).toThrow('(write false, without quotes: this YAML reads "Off" as text)');
    expect(plan('  skipPreUpdate: "true"\n')).toThrow("(write true, without quotes");
    expect(plan("  skipPreUpdate: maybe\n")).toThrow(
      /options\.skipPreUpdate must be true or false, not the text "maybe"$/m,
    );
  });

  it("a misspelt key is named with the key it most likely meant, among those of its own section and kind (found by a new-user trial)", () => {
    const ovz = errorOf(
      "kind: openvz-to-kvm\nsource: {hots: a.example.org}\ntarget: {host: b.example.org}\noptoins: {}\noptions: {maxLivePases: 2}\n" +
        "checkpoints: {target: {via: qmp, sockt: /run/vm.qmp}}\n",
    );
    // each problem on the line an editor jumps to: the misspelt key's own
    expect(ovz).toContain('line 2: source: unknown key "hots" (did you mean host?)');
    expect(ovz).toContain('line 5: options: unknown key "maxLivePases"');
    expect(ovz).toContain("source.host: ");
    expect(ovz).toContain('(top level): unknown key "optoins" (did you mean options?)');
    expect(ovz).toContain('options: unknown key "maxLivePases" (did you mean maxLivePasses?)');
    expect(ovz).toContain('checkpoints.target: unknown key "sockt" (did you mean socket?)');
    expect(ovz).toContain("checkpoints.target.socket: missing (a string is required)");
    // ctid is a vserver-to-openvz option: an openvz-to-kvm plan lists its own instead
    const far = errorOf(
      "kind: openvz-to-kvm\nsource: {host: a.example.org}\ntarget: {host: b.example.org}\noptions: {ctdi: 5}\n",
    );
    expect(far).toMatch(/options: unknown key "ctdi" \(it takes skipPreUpdate, cutover, .*maxLivePasses/);
    expect(far).not.toMatch(/ctid/);
    const vserver = errorOf(
      "kind: vserver-to-openvz\nsource: {host: a.example.org}\ntarget: {host: b.example.org}\noptions: {guest: web1, ctdi: 5}\n",
    );
    expect(vserver).toContain('options: unknown key "ctdi" (did you mean ctid?)');
  });

  it('a number in quotes (port: "2222") says to write it without them (found by a new-user trial)', () => {
    const withPort = (port: string) => () =>
      parsePlan(
        `kind: openvz-to-kvm\nsource: { host: a.example.org, port: ${port} }\ntarget: { host: b.example.org }\n`,
        "p.yaml",
      );
    expect(withPort('"2222"')).toThrow(
      'source.port must be a number, not the text "2222" (write 2222, without quotes: YAML reads "2222" as text)',
    );
    expect(withPort("ssh")).toThrow(/source\.port must be a number, not the text "ssh"$/m);
  });

  it("an endpoint written as user@host[:port] is split into the keys that hold it, not put under transport (new-user trial 10)", () => {
    const endpoints = (source: string, target: string) =>
      errorOf(`kind: vserver-to-openvz\nsource: ${source}\ntarget: ${target}\noptions: {guest: web1}\n`);
    const both = endpoints("root@vs1.example.net", "ovz.example.net:2222");
    expect(both).toContain(
      'line 2: source must be a mapping (key: value lines, or {key: value}), not the text "root@vs1.example.net": write {transport: ssh, host: vs1.example.net, user: root}\n',
    );
    expect(both).toContain(": write {transport: ssh, host: ovz.example.net, port: 2222}");
    expect(both).not.toContain("transport: root@");
    expect(endpoints("ssh://root@vs1.example.net:2222", "b.example.org")).toContain(
      ": write {transport: ssh, host: vs1.example.net, user: root, port: 2222}",
    );
    const other = endpoints("local", '"admin@[2001:db8::1]:2200"');
    expect(other).toContain('not the text "local": write {transport: local}\n');
    expect(other).toContain(": write {transport: ssh, host: 2001:db8::1, user: admin, port: 2200}");
    // what the hint says to write is a plan that loads
    const written = parsePlan(
      "kind: vserver-to-openvz\nsource: {transport: ssh, host: 2001:db8::1, user: admin, port: 2200}\ntarget: {transport: ssh, host: ovz.example.net, port: 2222}\noptions: {guest: web1}\n",
      "p.yaml",
    );
    expect(written.plan.source).toMatchObject({ host: "2001:db8::1", user: "admin", port: 2200 });
  });

  it("an endpoint written with a password is not said back with it, nor put under user (review)", () => {
    for (const text of ["root:hunter2@vs1.example.net", "ssh://root:hunter2@vs1.example.net:22/"]) {
      const error = errorOf(
        `kind: vserver-to-openvz\nsource: ${text}\ntarget: b.example.org\noptions: {guest: web1}\n`,
      );
      expect(error).not.toContain("hunter2");
      expect(error).toMatch(
        /not the text "(ssh:\/\/)?root:…@vs1\.example\.net(:22\/)?": write \{transport: ssh, host: vs1\.example\.net, user: root(, port: 22)?\} \(no password/,
      );
    }
  });

  it("a wrong type, choice, range or prefix is said in the plan's words, not zod's; a text where a {path, reason} item belongs shows the mapping to write (new-user trial 7)", () => {
    const problems = (options: string) => errorOf(`${good}options:\n${options}`);
    expect(problems("  extraExcludes: [/var/cache]\n")).toContain(
      'options.extraExcludes.0 must be a mapping (key: value lines, or {key: value}), not the text "/var/cache": write {path: /var/cache, reason: …}',
    );
    expect(problems("  acknowledge: [target-disk-too-small]\n")).toContain(
      "write {id: target-disk-too-small, reason: …}",
    );
    // a misspelt key inside a list item is named with the one it meant (the item's keys are found through the list)
    expect(problems("  acknowledge: [{id: target-disk-too-small, reson: x}]\n")).toContain(
      'options.acknowledge.0: unknown key "reson" (did you mean reason?)',
    );
    // an exclude item refuses a misspelt key as an acknowledge item does, naming it (review: it was dropped unread)
    expect(problems("  extraExcludes: [{path: /var/cache, reason: rebuilt, resaon: x}]\n")).toContain(
      'line 5: options.extraExcludes.0: unknown key "resaon" (did you mean reason?)',
    );
    expect(problems("  finalPass: quick\n")).toContain('options.finalPass: "quick" is not one of changed, full');
    expect(problems("  finalPass: ful\n")).toContain('"ful" is not one of changed, full (did you mean full?)');
    expect(problems("  extraExcludes: [{path: var/cache, reason: x}]\n")).toContain(
      'options.extraExcludes.0.path must start with "/", not the text "var/cache"',
    );
    // a text in [ ] is a list in YAML, in a plan file as in --option (new-user trial 10: only the flag said so)
    expect(problems("  targetAddressFromSource: [::1]\n")).toContain(
      "options.targetAddressFromSource must be text, not a list (YAML reads a value in [ ] as a list: write an IPv6 address without brackets (::1), or quote the text)",
    );
    const ctid = errorOf(
      "kind: vserver-to-openvz\nsource: {host: a.example.org}\ntarget: {host: b.example.org}\noptions: {guest: web1, ctid: 1001.5}\n",
    );
    expect(ctid).toContain("options.ctid must be a whole number, not the number 1001.5"); // not "a int" (new-user trial 10)
    expect(problems("  services: ssh\n")).toContain(
      'options.services must be a list (- item lines, or [a, b]), not the text "ssh"',
    );
    const port = errorOf(good.replace("port: 2222", "port: 0"));
    expect(port).toContain("target.port must be at least 1, not the number 0");
    for (const text of [problems("  extraExcludes: [/var/cache]\n  finalPass: quick\n  cutover: maybe\n"), port])
      expect(text).not.toMatch(/Invalid (input|option|string)|Too (small|big)|expected .*, received/);
    // a schema's own message stays (maxLivePasses says the range in its words)
    expect(problems("  maxLivePasses: 0\n")).toContain(
      "options.maxLivePasses: got 0: write a whole number of passes from 1 to 10",
    );
  });

  it("a relative identityFile or knownHostsFile is the plan folder's, as a fixture is; ~/ and absolute paths stay (found by a new-user trial)", () => {
    const text = `kind: openvz-to-kvm
source: { host: old.example.org, identityFile: keys/id_migrate, knownHostsFile: ../known }
target: { host: new.example.org, identityFile: ~/.ssh/id_ed25519, knownHostsFile: /etc/ssh/ssh_known_hosts }
`;
    const { plan, hash } = parsePlan(text, "/plans/web1/web1.yaml");
    expect(plan.source).toMatchObject({ identityFile: "/plans/web1/keys/id_migrate", knownHostsFile: "/plans/known" });
    expect(plan.target).toMatchObject({
      identityFile: "~/.ssh/id_ed25519",
      knownHostsFile: "/etc/ssh/ssh_known_hosts",
    });
    // The hash is of what was written: the same plan in another folder is the same plan.
    expect(parsePlan(text, "/elsewhere/web1.yaml").hash).toBe(hash);
  });

  it("a database or service that is no systemd unit name is refused without repeating it (found by a new-user trial: a password pasted there reached the report)", () => {
    const withUnits = (key: string, units: string) => () =>
      parsePlan(`${good}options:\n  ${key}: ${units}\n`, "/plans/web1.yaml");
    for (const key of ["services", "databases"]) {
      const refused = withUnits(key, '[ssh, "password=topsecret1"]');
      expect(refused).toThrow(BadInputError);
      expect(refused).toThrow(`options.${key}.1: not a systemd unit name`);
      expect(refused).not.toThrow(/topsecret1/);
      expect(withUnits(key, '["-H"]')).toThrow(`options.${key}.0: a unit name cannot start with "-"`);
    }
    const units = parsePlan(
      `${good}options:\n  services: [ssh, "postgresql@15-main.service", "sys-devices-x\\\\x2d1.device"]\n`,
      "/plans/web1.yaml",
    ).plan.options as { services: string[] };
    expect(units.services).toEqual(["ssh", "postgresql@15-main.service", "sys-devices-x\\x2d1.device"]);
  });

  it("a user with a colon (user:password pasted in) is refused without repeating it (found by a new-user trial: the login error echoed it)", () => {
    const withUser = (user: string) => () =>
      parsePlan(
        `kind: openvz-to-kvm\nsource: { host: old.example.org, user: "${user}" }\ntarget: { host: new.example.org }\n`,
        "/plans/web1.yaml",
      );
    expect(withUser("root:hunter2secret")).toThrow(/source\.user: a user name cannot hold ":"/);
    expect(withUser("root:hunter2secret")).not.toThrow(/hunter2secret/);
    expect(withUser("backup_2.x").call(undefined).plan.source.user).toBe("backup_2.x");
  });

  it("an unclosed quote, { or [ is reported on the line where it was opened, not where the YAML library noticed it (new-user trial 7)", () => {
    // the library said "Missing closing "quote at line 5, column 1" (the end of the file) for this one
    expect(errorOf('kind: openvz-to-kvm\nname: "abc\nsource:\n  host: x\n')).toBe(
      'p.yaml: not valid YAML: line 2, column 7: the " opened here is never closed',
    );
    expect(errorOf("kind: openvz-to-kvm\nname: 'abc\nsource:\n  host: x\n")).toContain(
      "line 2, column 7: the ' opened here is never closed",
    );
    expect(errorOf("kind: openvz-to-kvm\nsource: {host: x, port: 22\ntarget:\n  host: y\n")).toContain(
      "line 2, column 9: the { opened here is never closed with }",
    );
    expect(
      errorOf("kind: openvz-to-kvm\nsource: {host: x}\noptions:\n  services: [ssh, cron\ntarget:\n  host: y\n"),
    ).toContain("line 4, column 13: the [ opened here is never closed with ]");
    // closed quotes, an escaped one inside, do not hide another error: it keeps the library's text and place
    expect(errorOf('kind: openvz-to-kvm\nname: "a\\"b"\nsource: {host: x}\ntarget:\n    host: y\n  port: 22\n')).toBe(
      "p.yaml: not valid YAML: All mapping items must start at the same column at line 6, column 1",
    );
  });

  it("a plan of two YAML documents says so in words, not the YAML library's advice to programmers (found by a new-user trial)", () => {
    const two = "kind: openvz-to-kvm\nsource: { host: a.example.org }\ntarget: { host: b.example.org }\n---\nkind: x\n";
    expect(() => parsePlan(two, "/plans/web1.yaml")).toThrow(
      "/plans/web1.yaml: holds more than one YAML document (a --- line between them): a plan is one",
    );
    expect(() => parsePlan(two, "/plans/web1.yaml")).not.toThrow(/parseAllDocuments/);
  });

  it("a host written as user:password@host is refused without repeating it (found by a new-user trial)", () => {
    for (const [key, value] of [
      ["source", `{ host: "root:hunter2secret@127.0.0.1" }`],
      ["options", `{ targetAddressFromSource: "root:hunter2secret@198.18.0.5" }`],
    ] as const) {
      const parse = () =>
        parsePlan(
          `kind: openvz-to-kvm\nsource: { host: old.example.org }\ntarget: { host: new.example.org }\n${key}: ${value}\n`.replace(
            key === "source" ? "source: { host: old.example.org }\n" : "\u0000",
            "",
          ),
          "/plans/web1.yaml",
        );
      expect(parse).toThrow(/cannot hold a user and a password/);
      expect(parse).not.toThrow(/hunter2secret/);
    }
  });

  it("a host written as user@host or host:port says which keys hold the user and the port (found by a new-user trial)", () => {
    const withHost = (host: string) => () =>
      parsePlan(`kind: openvz-to-kvm\nsource: { host: "${host}" }\ntarget: { host: b.example.org }\n`, "p.yaml");
    expect(withHost("root@old.example.org")).toThrow(
      'source.host: "root@old.example.org" holds a user: write host: old.example.org and user: root',
    );
    expect(withHost("old.example.org:2201")).toThrow(
      'source.host: "old.example.org:2201" holds a port: write host: old.example.org and port: 2201',
    );
    expect(withHost("admin@198.18.0.5:2201")).toThrow(
      /holds a user and a port: write host: 198\.18\.0\.5, user: admin and port: 2201/,
    );
    // IPv6 addresses hold colons of their own.
    expect(
      parsePlan(`kind: openvz-to-kvm\nsource: { host: "2001:db8::5" }\ntarget: { host: "::1" }\n`, "p.yaml").plan.source
        .host,
    ).toBe("2001:db8::5");
  });

  it("targetAddressFromSource written as user@host:port sends the port to targetPortFromSource and says the push logs in as root (found by a new-user trial: it said to write user:, which that option does not have)", () => {
    const ovz = (address: string) => () =>
      parsePlan(`${good}options: { targetAddressFromSource: "${address}" }\n`, "p.yaml");
    expect(ovz("root@new.example.org")).toThrow(
      'options.targetAddressFromSource: "root@new.example.org" holds a user: write targetAddressFromSource: new.example.org (the source always logs in to the target as root)',
    );
    expect(ovz("admin@198.18.0.5:2201")).toThrow(
      /holds a user and a port: write targetAddressFromSource: 198\.18\.0\.5 and targetPortFromSource: 2201 \(the source always logs in to the target as root\)$/m,
    );
    expect(ovz("198.18.0.5:2201")).toThrow(
      /holds a port: write targetAddressFromSource: 198\.18\.0\.5 and targetPortFromSource: 2201$/m,
    );
    expect(() =>
      parsePlan(
        "kind: vserver-to-openvz\nsource: {host: a.example.org}\ntarget: {host: b.example.org}\noptions: {guest: web1, targetAddressFromSource: root@b}\n",
        "p.yaml",
      ),
    ).toThrow("write targetAddressFromSource: b (the VServer host always logs in to the node as root)");
    expect(ovz("root@new.example.org")).not.toThrow(/user: root/);
  });

  it("an IPv6 address in brackets is refused with the address to write bare (found by a new-user trial: targetAddressFromSource \"[::1]\" gave ssh 'root@[::1]' and rsync root@[[::1]]:)", () => {
    const ovz = (options: string, source = "old.example.org") =>
      `kind: openvz-to-kvm\nsource: { host: "${source}" }\ntarget: { host: new.example.org }\noptions: { ${options} }\n`;
    expect(errorOf(ovz('targetAddressFromSource: "[::1]"'))).toBe(
      'p.yaml is not a valid plan: line 4: options.targetAddressFromSource: "[::1]" is in brackets: write targetAddressFromSource: ::1 (mudanza adds the brackets where a command needs them)',
    );
    expect(errorOf(ovz("", "[2001:db8::5]"))).toBe(
      'p.yaml is not a valid plan: line 2: source.host: "[2001:db8::5]" is in brackets: write host: 2001:db8::5 (mudanza adds the brackets where a command needs them)',
    );
    expect(
      errorOf(`${good}checkpoints: { target: { via: libvirt, host: "[2001:db8::7]", domain: web1 } }\n`),
    ).toContain('checkpoints.target.host: "[2001:db8::7]" is in brackets: write host: 2001:db8::7');
    expect(errorOf(ovz('targetAddressFromSource: "root@[::1]"'))).toContain(
      '"root@[::1]" holds a user: write targetAddressFromSource: ::1 (the source always logs in to the target as root)',
    );
    expect(errorOf(ovz('targetAddressFromSource: "[::1]:2201"'))).toContain(
      "holds a port: write targetAddressFromSource: ::1 and targetPortFromSource: 2201",
    );
    for (const stray of ["[::1", "::1]", "a[1].example.org"])
      expect(errorOf(ovz(`targetAddressFromSource: "${stray}"`)), stray).toContain(
        `options.targetAddressFromSource: "${stray}": a host name or address cannot hold [ or ]`,
      );
    expect(
      errorOf(
        'kind: vserver-to-openvz\nsource: {host: a}\ntarget: {host: b}\noptions: {guest: web1, targetAddressFromSource: "[::1]"}\n',
      ),
    ).toContain('"[::1]" is in brackets: write targetAddressFromSource: ::1');
    expect(parsePlan(ovz('targetAddressFromSource: "::1"'), "p.yaml").plan.options).toMatchObject({
      targetAddressFromSource: "::1",
    });
  });

  it("an empty value says so once, with what to write, and no zod wording (found by a new-user trial: an empty host got 'Too small: expected string to have >=1 characters' and 'an ssh endpoint needs a host')", () => {
    const ovz = errorOf(
      'kind: openvz-to-kvm\nsource: { host: "" }\ntarget: { host: b.example.org, user: "" }\n' +
        'options: { services: [""], extraExcludes: [{ path: /x, reason: "" }] }\n' +
        'checkpoints: { target: { via: libvirt, host: "", domain: "" } }\n',
    );
    expect(ovz.split("\n").slice(1)).toEqual([
      "  line 2: source.host is empty: write the host name or address",
      "  line 3: target.user is empty: write the user name, or leave the key out for root",
      "  line 4: options.services.0 is empty: write a systemd unit name, or remove the entry",
      "  line 4: options.extraExcludes.0.reason is empty: write why",
      "  line 5: checkpoints.target.host is empty: write the host name or address",
      "  line 5: checkpoints.target.domain is empty: write the domain's name as virsh list --all shows it",
    ]);
    expect(
      errorOf(
        'kind: vserver-to-openvz\nsource: { host: a.example.org }\ntarget: { host: b.example.org }\noptions: { guest: "" }\n',
      ),
    ).toBe("p.yaml is not a valid plan: line 4: options.guest is empty: write the guest's name under /etc/vservers");
    // An empty key path would be the plan's folder (found in review: it was accepted).
    expect(
      errorOf(
        'kind: openvz-to-kvm\nsource: { host: a.example.org, identityFile: "", knownHostsFile: "" }\ntarget: { host: b.example.org }\n',
      )
        .split("\n")
        .slice(1),
    ).toEqual([
      "  line 2: source.identityFile is empty: write the private key's path, or leave the key out for ssh-agent and ~/.ssh/config",
      "  line 2: source.knownHostsFile is empty: write the known_hosts file's path, or leave the key out for ssh's own (~/.ssh/config, ~/.ssh/known_hosts)",
    ]);
  });

  it("a plan file that cannot be read says why in words, the code kept (found by a new-user trial)", async () => {
    await expect(loadPlan("/nonexistent/web1.yaml")).rejects.toThrow(
      "cannot read plan /nonexistent/web1.yaml: no such file or folder (ENOENT)",
    );
    await expect(loadPlan("/etc/hostname/web1.yaml")).rejects.toThrow("a part of the path is not a folder (ENOTDIR)");
  });

  it("a missing object is 'an object' (found by a new-user trial: 'a object is required')", () => {
    expect(() => parsePlan("kind: openvz-to-kvm\ntarget: { host: b.example.org }\n", "p.yaml")).toThrow(
      "source: missing (an object is required)",
    );
  });

  it("a missing or misspelt kind (or checkpoint via) lists the values it takes, with the one most likely meant", () => {
    const rest = "source: { host: a.example.org }\ntarget: { host: b.example.org }\n";
    expect(() => parsePlan(rest, "p.yaml")).toThrow("line 1: kind: missing (one of openvz-to-kvm, vserver-to-openvz)");
    expect(() => parsePlan(`kind: openvz-kvm\n${rest}`, "p.yaml")).toThrow(
      'kind: "openvz-kvm" is not one of openvz-to-kvm, vserver-to-openvz (did you mean openvz-to-kvm?)',
    );
    expect(() => parsePlan(`kind: xen-to-hvm\n${rest}`, "p.yaml")).toThrow(
      /kind: "xen-to-hvm" is not one of openvz-to-kvm, vserver-to-openvz$/,
    );
    expect(() =>
      parsePlan(`kind: openvz-to-kvm\n${rest}checkpoints:\n  target: { via: qmpp, socket: /s }\n`, "p.yaml"),
    ).toThrow('line 5: checkpoints.target.via: "qmpp" is not one of qmp, libvirt, proxmox (did you mean qmp?)');
  });

  it("rejects an unknown kind, a missing host, a bad fingerprint and broken YAML", () => {
    expect(() => parsePlan(good.replace("openvz-to-kvm", "xen-to-kvm"), "p.yaml")).toThrow(/kind/);
    expect(() => parsePlan("kind: openvz-to-kvm\nsource: {port: 22}\ntarget: {host: b}\n", "p.yaml")).toThrow(
      /source\.host: an ssh endpoint needs a host/,
    );
    expect(() => parsePlan(good.replace("user: root }", "user: root, hostKey: 'MD5:aa' }"), "p.yaml")).toThrow(
      /source\.hostKey/,
    );
    expect(() => parsePlan("kind: [unclosed", "p.yaml")).toThrow(/not valid YAML/);
  });

  it("a timeout of hours is refused with the range it takes (found by a new-user trial: connectTimeoutSec: 99999 was accepted)", () => {
    const parse = (text: string) => () => parsePlan(text, "p.yaml");
    expect(parse(good.replace("user: root }", "user: root, connectTimeoutSec: 99999 }"))).toThrow(
      "source.connectTimeoutSec: got 99999: write a whole number of seconds from 1 to 600",
    );
    expect(parse(good.replace("sudo: true }", "sudo: true, connectTimeoutSec: 0 }"))).toThrow(
      "target.connectTimeoutSec: got 0: write a whole number of seconds from 1 to 600",
    );
    expect(parse(`${good}options: { rebootTimeoutSec: 90000 }\n`)).toThrow(
      "options.rebootTimeoutSec: got 90000: write a whole number of seconds from 1 to 3600",
    );
    // a checkpoint backend is reached like an endpoint, with the same limit
    expect(
      parse(
        `${good}checkpoints: { target: { via: libvirt, host: kvm1.example.org, domain: web1, connectTimeoutSec: 3600 } }\n`,
      ),
    ).toThrow("checkpoints.target.connectTimeoutSec: got 3600: write a whole number of seconds from 1 to 600");
    const edges = parsePlan(
      `${good.replace("user: root }", "user: root, connectTimeoutSec: 600 }")}options: { rebootTimeoutSec: 3600 }\n`,
      "p.yaml",
    ).plan;
    expect([edges.source.connectTimeoutSec, edges.target.connectTimeoutSec]).toEqual([600, 20]);
  });

  it('a VServer guest name starts with a letter or digit (found by a new-user trial: guest ".." read /etc as the guest\'s config, "-rf" gave `vserver -rf status`)', () => {
    const vserver = (guest: string) =>
      `kind: vserver-to-openvz\nsource: {host: a}\ntarget: {host: b}\noptions: {guest: "${guest}"}\n`;
    for (const guest of [".", "..", ".defaults", "-rf", "--help", "_x", "web 1", "a/b"])
      expect(errorOf(vserver(guest)), guest).toBe(
        "p.yaml is not a valid plan: line 4: options.guest: a VServer guest name may only hold letters, digits, dot, underscore and dash, and must start with a letter or digit",
      );
    for (const guest of ["web1", "1web", "db.example.org", "web_1-old", "W"])
      expect(parsePlan(vserver(guest), "p.yaml").plan.options, guest).toMatchObject({ guest });
  });

  it("requires the guest for vserver-to-openvz", () => {
    const text = "kind: vserver-to-openvz\nsource: {host: a}\ntarget: {host: b}\noptions: {ctid: 150}\n";
    expect(() => parsePlan(text, "p.yaml")).toThrow(/options\.guest/);
  });
});
