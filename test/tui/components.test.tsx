import { afterEach, describe, expect, it } from "vitest";
import { cleanup } from "ink-testing-library";
import { mountApp, tick } from "./render-app.js";
import { end, output, probe, runningCopy, start, stepEnd, stepStart } from "./events.js";

afterEach(() => cleanup());

const lineOf = (frame: string, text: string) => frame.split("\n").find((l) => l.includes(text)) ?? "";

describe("step list", () => {
  it("shows every status with its own mark and durations", async () => {
    const { feed, frame } = mountApp();
    await feed([
      start(),
      stepEnd("check-source", 1, "done", 400),
      stepEnd("stop-services", 2, "skipped", 10, "no databases"),
      stepStart("copy-files", 3),
      stepEnd("install-boot", 3, "blocked", 0, "no grub"),
    ]);
    const f = frame();
    expect(lineOf(f, "Check the source")).toMatch(/✔ Check the source\s+0\.4 s/);
    expect(lineOf(f, "Stop databases")).toMatch(/↷ Stop databases — no databases/);
    expect(lineOf(f, "Copy files")).toMatch(/▶ Copy files \(rsync\)\s+running 7\.0 s/);
    expect(lineOf(f, "bootloader")).toContain("⊘ Install the bootloader — no grub");
    expect(lineOf(f, "Reboot")).toContain("○ Reboot the target (asks first)");
    await feed([stepEnd("copy-files", 4, "failed", 1000, "rsync exited 23")]);
    expect(lineOf(frame(), "Copy files")).toMatch(/✖ Copy files \(rsync\) — rsync exited 23\s+1\.0 s/);
  });

  it("shows preflight checking, then the header with route and elapsed", async () => {
    const { feed, frame } = mountApp({ nowSec: 75 });
    await feed([start(), ...probe("check-source", 1), stepStart("stop-services", 1, "probe")]);
    const f = frame();
    expect(f).toContain("OpenVZ container to KVM VM (openvz-to-kvm)");
    expect(f).toContain("root@old.example.org:22 → root@new.example.org:22");
    expect(f).toMatch(/checking 1:15/);
    expect(lineOf(f, "Stop databases")).toContain("… Stop databases");
    expect(lineOf(f, "Stop databases")).toContain("checking…");
  });

  it("expands the running step with a progress bar and its last output lines", async () => {
    const { feed, frame } = mountApp();
    await feed(runningCopy());
    const f = frame();
    expect(f).toContain("1.2 GiB / 4.0 GiB  30%  45.0 MiB/s  ETA 1m 04s  12034 files checked");
    expect(f).toMatch(/█+░+\s+30%/);
    expect(f).toContain("│ target: var/lib/mysql/ibdata1");
  });
});

describe("fits an 80x24 terminal", () => {
  it("windows a long step list around the current step and never exceeds the screen", async () => {
    const steps = Array.from({ length: 30 }, (_, i) => ({
      id: `s${i}`,
      title: `Step number ${i}`,
      destructive: false,
      status: "pending" as const,
    }));
    const { feed, frame } = mountApp({ nowSec: 60 });
    const events = [start({ steps })];
    for (let i = 0; i < 20; i++) events.push(stepStart(`s${i}`, i), stepEnd(`s${i}`, i + 1, "done", 1000));
    events.push(stepStart("s20", 21));
    for (let i = 0; i < 30; i++) events.push(output("s20", 22, `line ${i} ${"x".repeat(120)}`));
    await feed(events);
    const lines = frame().split("\n");
    expect(lines.length).toBeLessThanOrEqual(23);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
    expect(frame()).toContain("▶ Step number 20");
    expect(frame()).toMatch(/… \d+ more steps above/);
    expect(frame()).toMatch(/… \d+ more steps? below/);
    expect(frame()).toContain("line 29");
    expect(frame()).toContain("line 26");
    expect(frame()).toMatch(/▶ Step number 20\s+running 39 s/);
  });
});

describe("gate prompt", () => {
  const prompt = {
    stepId: "copy-files",
    title: "Copy files (rsync)",
    commands: [
      {
        host: "target",
        command: "rsync -aHAX --delete --exclude=/proc root@old:/ /mnt/root/",
        purpose: "copy the root filesystem",
      },
    ],
    details: ["would delete 12 files on target"],
  };

  const ask = async () => {
    const app = mountApp();
    await app.feed(runningCopy().slice(0, -4));
    const answers: boolean[] = [];
    app.store.setPrompt({
      ...prompt,
      answer: (a) => {
        answers.push(a);
        app.store.setPrompt(undefined);
      },
    });
    await tick();
    return { ...app, answers };
  };

  it("shows exactly what runs on which host and the details, and Enter answers no", async () => {
    const { frame, ui, answers } = await ask();
    const f = frame();
    expect(f).toContain("Next: Copy files (rsync) — this step changes things");
    expect(f).toMatch(
      /On target:\n {2}# copy the root filesystem\n {2}\$ rsync -aHAX --delete --exclude=\/proc root@old:\/ \/mnt\/root\//,
    );
    expect(f).toContain("waiting for you");
    expect(f).toContain("• would delete 12 files on target");
    expect(f).toContain("[y/N]");
    ui.stdin.write("\r");
    await tick();
    expect(answers).toEqual([false]);
    expect(frame()).not.toContain("[y/N]");
  });

  it("a gate taller than the screen scrolls inside its panel; header and question stay", async () => {
    const app = mountApp();
    await app.feed(runningCopy().slice(0, -4));
    const commands = Array.from({ length: 30 }, (_, i) => ({
      host: i < 15 ? "source" : "target",
      command: `systemctl stop service-number-${i}.service`,
    }));
    const answers: boolean[] = [];
    app.store.setPrompt({
      stepId: "copy-files",
      title: "Copy files (rsync)",
      commands,
      details: ["would delete 12 files on target"],
      answer: (a) => answers.push(a),
    });
    await tick();
    let lines = app.frame().split("\n");
    expect(lines.length).toBeLessThanOrEqual(23);
    expect(lines[0]).toContain("OpenVZ container to KVM VM");
    expect(app.frame()).toContain("service-number-0.service");
    expect(app.frame()).toContain("• would delete 12 files on target");
    expect(app.frame()).not.toContain("service-number-29.service");
    expect(app.frame()).toMatch(/rows 1-\d+ of 35, more below/);
    expect(app.frame()).toContain("[y/N]");
    for (let i = 0; i < 5; i++) app.ui.stdin.write("\u001b[6~"); // PgDn
    await tick();
    lines = app.frame().split("\n");
    expect(lines.length).toBeLessThanOrEqual(23);
    expect(app.frame()).toContain("service-number-29.service");
    expect(app.frame()).not.toContain("more below");
    expect(app.frame()).toContain("[y/N]");
    app.ui.stdin.write("\u001b[A");
    await tick();
    expect(app.frame()).toContain("more below");
    expect(answers).toEqual([]); // scrolling never answers
  });

  it("any other key is not a yes; y is", async () => {
    const { ui, answers } = await ask();
    ui.stdin.write("x");
    ui.stdin.write(" ");
    await tick();
    expect(answers).toEqual([]);
    ui.stdin.write("y");
    await tick();
    expect(answers).toEqual([true]);
  });

  it("q aborts through the callback and answers the open question no", async () => {
    const { ui, answers, aborts, frame } = await ask();
    ui.stdin.write("q");
    await tick();
    expect(aborts).toEqual(["q"]);
    expect(answers).toEqual([false]);
    expect(frame()).toContain("Stopping safely");
    ui.stdin.write("\u0003");
    await tick();
    expect(aborts).toEqual(["q"]); // once: compensations are already on their way
  });

  it("Ctrl-C aborts while a step runs", async () => {
    const app = mountApp();
    await app.feed(runningCopy());
    app.ui.stdin.write("\u0003");
    await tick();
    expect(app.aborts).toEqual(["Ctrl-C"]);
  });
});

describe("end panel", () => {
  it("an end message of several lines continues indented under its first line (found by a new-user trial)", async () => {
    const { feed, frame } = mountApp();
    await feed([
      ...runningCopy(),
      stepEnd("copy-files", 12, "failed", 4000, "rsync exited 12"),
      end(13, "failed", { message: "Copy files (rsync): rsync exited 12\nscripted host target: no rule for: rsync" }),
    ]);
    const lines = frame().split("\n");
    const first = lines.find((l) => l.includes("Copy files (rsync): rsync exited 12"))!;
    const second = lines.find((l) => l.includes("scripted host target: no rule for: rsync"))!;
    expect(second.indexOf("scripted")).toBe(first.indexOf("Copy files") + 2);
  });

  it("a multi-line output keeps the last-output box's edge on every line", async () => {
    const { feed, frame } = mountApp();
    await feed([
      ...runningCopy(),
      output(
        "copy-files",
        11,
        "rsync: connection unexpectedly closed\nrsync error: error in rsync protocol data stream",
      ),
      stepEnd("copy-files", 12, "failed", 4000, "rsync exited 12"),
      end(13, "failed", { message: "Copy files (rsync): rsync exited 12" }),
    ]);
    const f = frame();
    expect(f).toMatch(/│ \w+: rsync: connection unexpectedly closed\n/);
    expect(f).toMatch(/\n *│ +rsync error: error in rsync protocol data stream/);
  });

  it("on failure: the error in plain words, the last output, the log, the resume command", async () => {
    const { feed, frame } = mountApp();
    await feed([
      ...runningCopy(),
      output("copy-files", 11, 'rsync: write failed on "/mnt/root/var/log/big": No space left on device (28)'),
      stepEnd("copy-files", 12, "failed", 4000, "rsync exited 11"),
      { type: "compensation", at: start().at, id: "db", title: "start mysql again", host: "source", ok: true },
      end(13, "failed", {
        message: "Copy files (rsync): rsync exited 11",
        resumeCommand: "mudanza run /etc/mudanza/web1.yaml",
      }),
    ]);
    const f = frame();
    expect(f).toContain("✖ Failed: Copy files (rsync) after 13 s");
    expect(f).toContain("Copy files (rsync): rsync exited 11");
    expect(f).toContain('Last output of "Copy files (rsync)":');
    expect(f.replace(/\s+/g, " ")).toContain("No space left on device (28)");
    expect(f).toContain("↺ undone: start mysql again on source");
    // The log, journal and resume command follow the last frame as whole lines (ink-renderer.test.ts).
    expect(f).not.toContain("Resume with:");
    expect(f).not.toContain("q = abort");
    expect(f.split("\n").length).toBeLessThanOrEqual(23);
  });

  it("says apart the undo an earlier run left pending, done at this run's start, from this run's own", async () => {
    const { feed, frame } = mountApp();
    const [first, ...rest] = runningCopy();
    await feed([
      first!,
      {
        type: "compensation",
        at: start().at,
        id: "db",
        title: "start mariadb.service on the source",
        host: "source",
        ok: true,
        earlierRun: true,
      },
      ...rest,
      { type: "compensation", at: start().at, id: "key", title: "remove the key", host: "target", ok: true },
      end(13, "interrupted", { message: "stopped with Ctrl-C" }),
    ]);
    const f = frame().replace(/\s+/g, " ");
    expect(f).toContain(
      "At its start, this run ran the undo an earlier run left pending (each line says how it went): ↺ undone: start mariadb.service on the source Then, as this run stopped: ↺ undone: remove the key on target",
    );
  });

  it("when blocked: every blocker and its fix, nothing marked as run", async () => {
    const { feed, frame } = mountApp();
    await feed([
      start(),
      ...probe("check-source", 1, {
        findings: [
          {
            title: "Release mismatch",
            summary: "12.11 vs 12.9",
            severity: "error",
            blocks: true,
            remediation: "update the target to 12.11",
          },
        ],
      }),
      ...probe("copy-files", 1, {
        findings: [
          {
            title: "Not enough space",
            summary: "needs 60 GiB, 50 free",
            severity: "error",
            blocks: true,
            remediation: "grow the disk",
            host: "target",
          },
        ],
      }),
      stepEnd("check-source", 2, "blocked", 0, "Release mismatch"),
      stepEnd("copy-files", 2, "blocked", 0, "Not enough space"),
      end(2, "blocked", { message: "Release mismatch: 12.11 vs 12.9\nNot enough space: needs 60 GiB, 50 free" }),
    ]);
    const f = frame();
    expect(f).toContain("⊘ Blocked before anything changed after 2.0 s");
    expect(f).toContain("Release mismatch: 12.11 vs 12.9");
    expect(f).toContain("fix (Release mismatch): update the target to 12.11");
    expect(f).toContain("fix (Not enough space): grow the disk");
    expect(lineOf(f, "Check the source")).toContain("⊘ Check the source — Release mismatch");
    expect(f).not.toContain("✔");
    expect(f).not.toContain("Resume with");
  });

  it("on success: complete, with warnings counted and no resume command", async () => {
    const { feed, frame } = mountApp();
    await feed([
      start(),
      ...probe("check-source", 1, {
        findings: [{ title: "Old kernel", summary: "2.6.32", severity: "warning", blocks: false }],
      }),
      stepEnd("check-source", 2, "done", 500),
      end(30, "done"),
    ]);
    expect(frame()).toContain("✔ Migration complete after 30 s");
    expect(frame()).toContain("1 warning:\n  ! Old kernel: 2.6.32");
    expect(frame()).not.toContain("Resume with");
  });
});
