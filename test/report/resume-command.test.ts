import { describe, expect, it } from "vitest";
import { resumeCommandIn } from "../../src/report/resume-command.js";

const DEFAULT = "/root/.local/state/mudanza";

describe("the resume command status offers (found by a new-user trial: a copied state folder resumed in the old one)", () => {
  it("points --state-dir at the folder the journal is read from now", () => {
    expect(resumeCommandIn("mudanza run /p/web1.yaml --yes --state-dir /old/state", "/new/state", DEFAULT)).toBe(
      "mudanza run /p/web1.yaml --yes --state-dir /new/state",
    );
    expect(resumeCommandIn("mudanza run /p/web1.yaml --state-dir '/old/it'\\''s'", "/new/my state", DEFAULT)).toBe(
      "mudanza run /p/web1.yaml --state-dir '/new/my state'",
    );
  });

  it("leaves it as recorded when the folder is the same, and adds --state-dir when a default folder moved", () => {
    const same = "mudanza run /p/web1.yaml --state-dir '/srv/it'\\''s'";
    expect(resumeCommandIn(same, "/srv/it's", DEFAULT)).toBe(same);
    expect(resumeCommandIn("mudanza run /p/web1.yaml --yes", DEFAULT, DEFAULT)).toBe("mudanza run /p/web1.yaml --yes");
    expect(resumeCommandIn("mudanza run /p/web1.yaml --yes", "/copy", DEFAULT)).toBe(
      "mudanza run /p/web1.yaml --yes --state-dir /copy",
    );
  });
});
