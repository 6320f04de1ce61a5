import { describe, expect, it } from "vitest";
import { setApartChangedSince } from "./support/manifest.js";

// A lab run across midnight: the source's daily dpkg-db-backup wrote /var/backups/*.0 after the copy.
describe("the lab's tree comparison sets apart what the source changed after the freeze began", () => {
  const freezeBegan = Date.parse("2026-12-05T23:59:50.000Z");
  const source = {
    changedAtMs: new Map([
      ["/var/backups/dpkg.status.0", Date.parse("2026-12-06T00:00:03.000Z")],
      ["/etc/motd", Date.parse("2026-12-05T20:00:00.000Z")],
      ["/etc/issue", Date.parse("2026-12-06T00:00:04.000Z")],
      ["/etc/hostname", Date.parse("2026-12-05T20:00:00.000Z")],
    ]),
  };
  const comparison = {
    missing: ["/var/backups/dpkg.status.0", "/etc/motd"],
    different: ['/etc/issue: {"size":"1"} != {"size":"2"}', '/etc/hostname: {"size":"1"} != {"size":"2"}'],
    extra: [],
    linkGroups: [],
  };

  it("a path changed before the freeze still counts as missing or different; one changed after is listed apart", () => {
    expect(setApartChangedSince(comparison, source, freezeBegan)).toEqual({
      missing: ["/etc/motd"],
      different: ['/etc/hostname: {"size":"1"} != {"size":"2"}'],
      extra: [],
      linkGroups: [],
      afterCopy: ["/var/backups/dpkg.status.0", "/etc/issue"],
    });
  });

  it("a path whose change time is unknown is not set apart", () => {
    expect(setApartChangedSince(comparison, { changedAtMs: new Map() }, freezeBegan).missing).toEqual(
      comparison.missing,
    );
  });
});
