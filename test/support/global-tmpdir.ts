import { chmodSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Every test process gets one scratch folder as its TMPDIR (os.tmpdir() reads it), removed when the run
 * ends: a test that forgets its temp folders, or a child killed mid-test, leaves nothing in /tmp.
 * Tests still remove their own folders; this is the net under them.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), "mudanza-test-run-"));
  // Like /tmp itself, others may pass through it: the ssh tests' non-root user has its home below it.
  chmodSync(root, 0o755);
  process.env.TMPDIR = root;
  // The runs' machine-wide host locks (src/cli/hosts-lock.ts) too: a run a test kills leaves its lock here.
  process.env.MUDANZA_MACHINE_LOCK_DIR = root;
  return () => {
    const left = readdirSync(root).length;
    rmSync(root, { recursive: true, force: true });
    if (left > 0 && process.env.MUDANZA_REPORT_TMP)
      process.stderr.write(`tests left ${left} entries in their TMPDIR; removed\n`);
  };
}
