import { describe, expect, it } from "vitest";
import { ScriptedHost } from "../../../src/hosts/scripted-host.js";
import { answerTrouble, answersAgain } from "../../../src/steps/rollback/revert-side.js";

const quick = { timeoutMs: 2000, retryMs: 5, progressEveryMs: 0 };

describe("waiting for a reverted side to answer over ssh (new-user trial 8: 180 s of silence, then 'does not answer: exit 127')", () => {
  it("says that it waits and why while the host refuses, and is done once `true` runs", async () => {
    const host = new ScriptedHost("target").on("true", {});
    host.reconnectFailures = 3;
    const said: string[] = [];
    const answer = await answersAgain(host, new AbortController().signal, (line) => said.push(line), quick);
    expect(answer).toEqual({ answered: true, code: 0, stderr: "" });
    expect(answerTrouble("target", answer)).toBeUndefined();
    expect(said.length).toBeGreaterThanOrEqual(1);
    expect(said[0]).toMatch(/^waiting for it to answer over ssh: \d+ s of 2 s \(.*connection refused\)$/);
  });

  it("an exit code is an answer: `true` failing is told apart from no answer, at once", async () => {
    const host = new ScriptedHost("target"); // no rule for `true`: exit 127, as on the trial's fixture
    const started = Date.now();
    const answer = await answersAgain(host, new AbortController().signal, () => undefined, {
      ...quick,
      timeoutMs: 60_000,
    });
    expect(Date.now() - started).toBeLessThan(5000); // no waiting out the deadline
    expect(answer).toMatchObject({ answered: true, code: 127 });
    expect(answerTrouble("target", answer)).toMatch(
      /^the target answers over ssh since the revert, but `true` failed there with exit 127 \(scripted host target: no rule for: true\): the command was not found/,
    );
  });

  it("a host that never answers: how long it waited and the last error", async () => {
    const host = new ScriptedHost("target").on("true", {});
    host.reconnectFailures = 1_000_000;
    const answer = await answersAgain(host, new AbortController().signal, () => undefined, {
      ...quick,
      timeoutMs: 50,
    });
    expect(answer).toMatchObject({ answered: false });
    expect(answerTrouble("target", answer)).toMatch(
      /^the target did not answer over ssh within 0 s of the revert: scripted host target: connection refused$/,
    );
  });
});
