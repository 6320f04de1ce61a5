/**
 * known_hosts parsing and host key verdicts, without a server. The keys, fingerprints and hashed lines
 * below were produced by OpenSSH 9.2 (ssh-keygen -t ... ; ssh-keygen -lf ; ssh-keygen -H), so the
 * fingerprint and HMAC code is checked against OpenSSH's own output, not against itself.
 */
import { describe, expect, it } from "vitest";
import { keyTypeOfBlob, sameFingerprint, sha256Fingerprint } from "../../src/hosts/ssh/fingerprint.js";
import { verifyHostKey, type HostKeyPolicy } from "../../src/hosts/ssh/host-key-policy.js";
import { HostKeyError } from "../../src/hosts/ssh/errors.js";
import {
  checkKnownHost,
  entryMatchesHost,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
} from "../../src/hosts/ssh/known-hosts.js";
import { BlockedError } from "../../src/errors.js";

const ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII8a31su4aHAQPFeuw9NgZlZlpdIvQQegZM4xhld2tMY";
const ED_FP = "SHA256:2YsgWT3aVSjpP0q8KzoQXoioevdpCEch50KnFcxzhCI";
const ED2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPTf0+y6f4xBV1MMb/NPTk26xEMbgWPOXbaYnBZo/0cy";
const ED2_FP = "SHA256:m9Vq4kLM+bJmVzBYNEOlM6+N50oTplmKpBWkzkXg4OA";
const EC =
  "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBA40jJq13GT278yh1tU9WQZudK3hr1+PFmtpnZkn43bwOpcGu8ibvjONv64xhMZPLMsFvfzTeDdlc3AleTvmaCQ=";
const EC_FP = "SHA256:6XH397qxNXiCztnahNB4TCjy9U3YY4j7xR+3464M5PA";
const RSA =
  "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDZUQCtl0AYN9trLtQWzYxw7WMuLvQJStsaLUWHzHtH1LTicdKBRRF0zaIa1fRQH9lMnWU48UlGyNwZSG1VrAgRHBtMFpSVQre5J7Rm8Nw/R2p6tgQi3xMMst8SuOoGs2JimNieWcI5SgR9Toy0wRbSCf0hW9F++JV9VBCMTrVfEw==";
const RSA_FP = "SHA256:qEOVC+7qXXxnVwWFyZ9KYx854QYdNh1peOYS24jpve4";
// `ssh-keygen -H` of "old.example.org <ED>" and "[new.example.org]:2222 <EC>".
const HASHED_OLD = `|1|UDynfCJeohBGI9X7Ul52SJ4ZY+8=|YCbJTdr1PYywj20esk/oSLxKUWY= ${ED}`;
const HASHED_NEW_2222 = `|1|SAOFgdgvnD0gpTaVf2pIBqbzjtw=|nHpB7iPYmX1yvJZHKULc+ouDAmE= ${EC}`;

const blob = (line: string): Buffer => Buffer.from(line.split(" ")[1]!, "base64");

describe("fingerprints", () => {
  it("match ssh-keygen -lf for ed25519, ecdsa and rsa", () => {
    expect(sha256Fingerprint(blob(ED))).toBe(ED_FP);
    expect(sha256Fingerprint(blob(EC))).toBe(EC_FP);
    expect(sha256Fingerprint(blob(RSA))).toBe(RSA_FP);
    expect(keyTypeOfBlob(blob(EC))).toBe("ecdsa-sha2-nistp256");
    expect(keyTypeOfBlob(Buffer.from("nonsense"))).toBeNull();
    expect(sameFingerprint(`${ED_FP}=`, ED_FP)).toBe(true);
  });
});

describe("parseKnownHosts", () => {
  it("reads plain, hashed, marked, commented lines and reports broken ones", () => {
    const text = [
      "# comment",
      "",
      `old.example.org,203.0.113.5 ${ED} root@old`,
      HASHED_NEW_2222,
      `@revoked * ${ED2}`,
      `@cert-authority *.example.org ${RSA}`,
      "broken-line-without-key",
      `typo.example.org ssh-ed25519 ${blob(RSA).toString("base64")}`,
      `@weird host ${ED}`,
    ].join("\n");
    const { entries, problems } = parseKnownHosts(text, "/k");
    expect(entries.map((e) => [e.line, e.marker, e.keyType, e.fingerprint])).toEqual([
      [3, undefined, "ssh-ed25519", ED_FP],
      [4, undefined, "ecdsa-sha2-nistp256", EC_FP],
      [5, "revoked", "ssh-ed25519", ED2_FP],
      [6, "cert-authority", "ssh-rsa", RSA_FP],
    ]);
    expect(problems).toEqual([
      '/k:7: expected "hosts keytype key"',
      "/k:8: the key does not decode to a ssh-ed25519 key",
      "/k:9: unknown marker @weird",
    ]);
  });
});

describe("host matching", () => {
  it("uses [host]:port for ports other than 22, lower case", () => {
    expect(knownHostsName("Old.Example.ORG", 22)).toBe("old.example.org");
    expect(knownHostsName("127.0.0.1", 2222)).toBe("[127.0.0.1]:2222");
  });

  it("matches lists, wildcards and negations like OpenSSH", () => {
    expect(entryMatchesHost("old.example.org,203.0.113.5", "203.0.113.5")).toBe(true);
    expect(entryMatchesHost("*.example.org", "web.example.org")).toBe(true);
    expect(entryMatchesHost("web?.example.org", "web1.example.org")).toBe(true);
    expect(entryMatchesHost("web?.example.org", "web12.example.org")).toBe(false);
    expect(entryMatchesHost("*.example.org,!db.example.org", "db.example.org")).toBe(false);
    expect(entryMatchesHost("[old.example.org]:2222", "[old.example.org]:2222")).toBe(true);
    expect(entryMatchesHost("old.example.org", "[old.example.org]:2222")).toBe(false);
    expect(entryMatchesHost("OLD.example.org", "old.example.org")).toBe(true);
    expect(entryMatchesHost("old.example.org", "old.example.orgX")).toBe(false);
  });

  it("matches hashed entries by HMAC-SHA1, port form included", () => {
    const old = HASHED_OLD.split(" ")[0]!;
    const new2222 = HASHED_NEW_2222.split(" ")[0]!;
    expect(entryMatchesHost(old, "old.example.org")).toBe(true);
    expect(entryMatchesHost(old, "new.example.org")).toBe(false);
    expect(entryMatchesHost(new2222, "[new.example.org]:2222")).toBe(true);
    expect(entryMatchesHost(new2222, "new.example.org")).toBe(false);
    expect(entryMatchesHost("|1|garbage", "old.example.org")).toBe(false);
  });
});

describe("verdicts", () => {
  const { entries } = parseKnownHosts(
    [HASHED_OLD, HASHED_NEW_2222, `@revoked * ${ED2}`, `rsa-only.example.org ${RSA}`].join("\n"),
    "/home/u/.ssh/known_hosts",
  );

  it("known, changed, revoked and unknown", () => {
    expect(checkKnownHost(entries, "old.example.org", blob(ED)).status).toBe("known");
    expect(checkKnownHost(entries, "[new.example.org]:2222", blob(EC)).status).toBe("known");
    const changed = checkKnownHost(entries, "old.example.org", blob(ED2));
    expect(changed.status).toBe("revoked"); // ED2 is revoked everywhere, before any other check
    expect(checkKnownHost(entries, "[new.example.org]:2222", blob(ED)).status).toBe("unknown"); // other type known
    expect(checkKnownHost(entries, "elsewhere.example.org", blob(ED))).toEqual({ status: "unknown", otherTypes: [] });
    expect(checkKnownHost(entries, "rsa-only.example.org", blob(ED))).toEqual({
      status: "unknown",
      otherTypes: ["ssh-rsa"],
    });
    expect(knownKeyTypes(entries, "rsa-only.example.org")).toEqual(["ssh-rsa"]);
  });

  it("a different key of the same type is a changed key", () => {
    const { entries: mine } = parseKnownHosts(`old.example.org ${ED}\n`, "/k");
    const verdict = checkKnownHost(mine, "old.example.org", blob(ED2));
    expect(verdict).toMatchObject({ status: "changed", entry: { line: 1, fingerprint: ED_FP } });
  });

  it("errors are BlockedErrors that name host, fingerprints and the fix", () => {
    const policy: HostKeyPolicy = {
      kind: "known-hosts",
      files: ["/home/u/.ssh/known_hosts"],
      entries: parseKnownHosts(`old.example.org ${ED}\n`, "/home/u/.ssh/known_hosts").entries,
    };
    expect(verifyHostKey(policy, { host: "old.example.org", port: 22 }, blob(ED))).toBeNull();
    const changed = verifyHostKey(policy, { host: "old.example.org", port: 22 }, blob(ED2))!;
    expect(changed).toBeInstanceOf(BlockedError);
    expect(changed.problem).toBe("changed");
    expect(changed.message).toContain(ED_FP);
    expect(changed.message).toContain(ED2_FP);
    expect(changed.message).toContain("ssh-keygen -R 'old.example.org' -f /home/u/.ssh/known_hosts");
    const unknown = verifyHostKey(policy, { host: "new.example.org", port: 2222 }, blob(EC))!;
    expect(unknown).toBeInstanceOf(HostKeyError);
    expect(unknown.problem).toBe("unknown");
    expect(unknown.presentedFingerprint).toBe(EC_FP);
    expect(unknown.message).toContain("ssh-keyscan -p 2222 new.example.org >> /home/u/.ssh/known_hosts");
    expect(unknown.message).toContain('"[new.example.org]:2222"');
    // no ~/.ssh yet: the appending command makes it first (ssh-keyscan >> into a missing folder fails)
    const noFolder = verifyHostKey(
      { ...policy, firstFolderMissing: true },
      { host: "new.example.org", port: 22 },
      blob(EC),
    )!;
    expect(noFolder.message).toContain(
      "add it: mkdir -p -m 700 /home/u/.ssh && ssh-keyscan new.example.org >> /home/u/.ssh/known_hosts",
    );
    // a path with a space stays one word when the fix is pasted; a ~ stays outside the quotes for the shell
    // to expand (found by a new-user trial)
    const spaced = verifyHostKey(
      { ...policy, files: ["/home/my user/.ssh/known_hosts"], firstFolderMissing: true },
      { host: "new.example.org", port: 22 },
      blob(EC),
    )!;
    expect(spaced.message).toContain(
      "add it: mkdir -p -m 700 '/home/my user/.ssh' && ssh-keyscan new.example.org >> '/home/my user/.ssh/known_hosts'",
    );
    const tilde = verifyHostKey({ ...policy, files: [] }, { host: "new.example.org", port: 22 }, blob(EC))!;
    expect(tilde.message).toContain("ssh-keyscan new.example.org >> ~/.ssh/known_hosts");
  });

  it("a pinned fingerprint replaces known_hosts", () => {
    const pinned: HostKeyPolicy = {
      kind: "fingerprints",
      fingerprints: [EC_FP],
      origin: "the plan",
      problem: "pinned-mismatch",
    };
    expect(verifyHostKey(pinned, { host: "x", port: 22 }, blob(EC))).toBeNull();
    const error = verifyHostKey(pinned, { host: "x", port: 22 }, blob(ED))!;
    expect(error.problem).toBe("pinned-mismatch");
    expect(error.message).toContain(`ED25519 key ${ED_FP}`);
  });
});
