/** Names from files and plans in the text tables: escaped, never raw (found by a new-user trial). */
import { describe, expect, it } from "vitest";
import { renderRuns, type RunRow } from "../../src/report/runs-list.js";
import { renderChain } from "../../src/steps/image/render-chain.js";

// eslint-disable-next-line no-control-regex -- what must not reach the terminal raw
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f]/;

describe("names with control characters in text output", () => {
  it("runs: an ESC or a newline in a journal's name or plan is escaped, and the columns stay aligned", () => {
    const row = (id: string, plan: string): RunRow => ({
      id,
      kind: "openvz-to-kvm",
      state: "done",
      step: "reboot-verify (done)",
      freeze: "4 s",
      when: "2026-12-04 21:00",
      plan,
      updatedAt: "2026-12-04T21:00:00.000Z",
    });
    const text = renderRuns(
      [row("ev\u001b[31mil", "/plans/we\nb1.yaml"), row("web2", "/plans/web2.yaml")],
      "/st\u001bate",
    );
    expect(text).not.toMatch(RAW_CONTROL);
    const lines = text.split("\n");
    expect(lines[0]).toBe("Runs in /st\\x1bate:");
    const [header, evil, plain] = [
      lines[1]!,
      lines.find((l) => l.startsWith("ev"))!,
      lines.find((l) => l.startsWith("web2"))!,
    ];
    expect(evil).toContain("ev\\x1b[31mil");
    expect(evil).toContain("/plans/we\\x0ab1.yaml");
    // a plan's path is quoted to paste, as status's "Resume with" quotes it (new-user trial 10)
    const spaced = renderRuns([row("web3", "/plans/sp ace.yaml"), row("web4", "/plans/web4.yaml")], "/st");
    expect(spaced).toMatch(/^web3 .* '\/plans\/sp ace\.yaml'$/m);
    expect(spaced).toMatch(/^web4 .* \/plans\/web4\.yaml$/m);
    // the KIND column starts at the same place on every line
    expect(new Set([header.indexOf("KIND"), evil.indexOf("openvz"), plain.indexOf("openvz")]).size).toBe(1);
  });

  it("image info: a newline or ESC in a file name of the chain is escaped", () => {
    const text = renderChain([
      {
        filename: "/v/t\nop.qcow2",
        format: "qcow2",
        virtualSize: 1024,
        allocated: 512,
        backingFilename: "b\u001bse.qcow2",
      },
      {
        filename: "/v/b\u001bse.qcow2",
        format: "qcow2",
        virtualSize: 1024,
        allocated: 512,
        backingFilename: undefined,
      },
    ]);
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text.split("\n")[0]).toContain(
      '/v/t\\x0aop.qcow2 (qcow2, virtual 1.0 KiB, on disk 512 B, backing file "b\\x1bse.qcow2")',
    );
  });
});
