import { describe, expect, it } from "vitest";
import { compensationLine } from "../../src/render/compensation-line.js";

describe("an undo's line", () => {
  it("names its host once: not again when the title says it (new-user trial 9, finding 7)", () => {
    const line = (title: string, host: string, ok = true) => compensationLine({ ok, title, host });
    expect(line("start mariadb.socket, mariadb.service on the source", "source")).toBe(
      "undone: start mariadb.socket, mariadb.service on the source",
    );
    expect(line("remove the migration key from the target", "target")).toBe(
      "undone: remove the migration key from the target",
    );
    // A title that names another host, or none, still says where it ran.
    expect(line("remove the migration key from the target", "source")).toBe(
      "undone: remove the migration key from the target on source",
    );
    expect(line("remove /srv/tmp/x", "local")).toBe("undone: remove /srv/tmp/x on local");
    expect(line("start the sources of truth", "source", false)).toBe(
      "NOT undone: start the sources of truth on source",
    );
  });
});
