/**
 * Run inside a real terminal by tmux.slow.test.ts: the Ink renderer fed a flood of progress events for
 * fixed number of events (argv[3]) as fast as the machine emits them, counting what reaches the terminal.
 * Writes {events, writes, bytes, seconds} as JSON to argv[2]: a slow machine takes longer, never fewer events.
 * Half-way it holds until the file argv[4] exists, so the test reads the bar mid-flood however fast this
 * machine floods (a fast one could finish between two looks at the screen).
 */
import { existsSync, writeFileSync } from "node:fs";
import { createInkRenderer } from "../../src/tui/ink-renderer.js";
import type { PipelineEvent } from "../../src/engine/events.js";

const statsPath = process.argv[2]!;
const count = Number(process.argv[3] ?? "120000");
const goOnPath = process.argv[4]!;
let writes = 0;
let bytes = 0;
const original = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
  writes++;
  bytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
  return original(chunk, ...rest);
}) as typeof process.stdout.write;

const now = () => new Date().toISOString();
const renderer = createInkRenderer({ abort: () => undefined });
const total = 8 * 1024 ** 3;
const emit = (e: PipelineEvent) => renderer.sink(e);
emit({
  type: "pipeline-start",
  at: now(),
  kind: "openvz-to-kvm",
  title: "Flood test",
  hosts: { source: "root@old:22", target: "root@new:22" },
  mode: "yes",
  resumed: false,
  steps: [
    { id: "copy", title: "Copy the root filesystem", destructive: false, status: "pending" },
    { id: "after", title: "Afterwards", destructive: false, status: "pending" },
  ],
  journal: "/tmp/flood.journal.json",
});
emit({ type: "step-start", at: now(), stepId: "copy", phase: "probe" });
emit({ type: "step-probed", at: now(), stepId: "copy", satisfied: false, commands: [], findings: [] });
emit({ type: "step-start", at: now(), stepId: "copy", phase: "run" });
let events = 0;
const started = Date.now();
const flood = (until: number) =>
  new Promise<void>((resolve) => {
    const batch = () => {
      for (let i = 0; i < 2000 && events < until; i++) {
        const fraction = events / count;
        events++;
        emit({
          type: "progress",
          at: now(),
          stepId: "copy",
          progress: {
            bytesDone: Math.floor(total * fraction),
            bytesTotal: total,
            rateBytesPerSec: 100 * 1024 ** 2,
            filesChecked: events,
          },
        });
        if (i % 100 === 0)
          emit({
            type: "output",
            at: now(),
            stepId: "copy",
            host: "source",
            stream: "stdout",
            line: `var/lib/file-${events}`,
          });
      }
      if (events >= until) resolve();
      else setImmediate(batch);
    };
    batch();
  });
await flood(count / 2);
while (!existsSync(goOnPath)) await new Promise((r) => setTimeout(r, 50));
await flood(count);
emit({ type: "step-end", at: now(), stepId: "copy", status: "done", durationMs: Date.now() - started });
emit({ type: "step-end", at: now(), stepId: "after", status: "skipped", durationMs: 0, message: "nothing to do" });
emit({ type: "pipeline-end", at: now(), status: "done", journal: "/tmp/flood.journal.json" });
await renderer.close();
writeFileSync(statsPath, JSON.stringify({ events, writes, bytes, seconds: (Date.now() - started) / 1000 }));
