import { describe, expect, it } from "vitest";
import { parseGetent, sourceHostNames } from "../../../src/steps/network/name-resolution.js";

describe("a name to resolve", () => {
  it("takes the servers' host names from apt (one-line and deb822) and yum sources, never address literals", () => {
    const lines = [
      "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian/ bookworm main",
      "deb-src http://deb.debian.org/debian/ bookworm main",
      "URIs: https://security.debian.org/debian-security",
      "deb [trusted=yes] http://198.18.1.1:18642/ ./",
      "mirrorlist=https://mirrors.almalinux.org/mirrorlist/$releasever/baseos",
      "baseurl=http://user:secret@repo.example.org/el8/$basearch/",
      "deb http://localhost/debian bookworm main",
    ].join("\n");
    expect(sourceHostNames(lines)).toEqual([
      "deb.debian.org",
      "security.debian.org",
      "mirrors.almalinux.org",
      "repo.example.org",
    ]);
  });

  it("reads each address of getent ahosts once", () => {
    const out =
      "198.18.30.132   STREAM debian.map.fastlydns.net\n198.18.30.132   DGRAM  \n198.18.30.132   RAW    \n2001:db8:30::644 STREAM \n2001:db8:30::644 DGRAM  \n2001:db8:30::644 RAW    \n";
    expect(parseGetent(out)).toEqual(["198.18.30.132", "2001:db8:30::644"]);
    expect(parseGetent("")).toEqual([]);
  });
});
