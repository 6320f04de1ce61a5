import { blocker, type Finding } from "../../engine/finding.js";
import { versionAtLeast, type RsyncBuilds } from "./compression.js";

/**
 * The oldest rsync each end of a copy runs with the options every pass passes (command.ts). Both pipelines
 * push from the source, whose rsync reads every option: `--info=progress2` and `--ignore-missing-args` came
 * with rsync 3.1.0 (NEWS.md 3.1.0; a 3.0.x sender stops with "--info=progress2: unknown option", exit 1).
 * The receiver gets only what the sender's rsync hands it: `-A` and `-X` first shipped in 3.0.0 (NEWS.md
 * 3.0.0; a 2.6.x receiver stops with "unknown option", exit 12); progress, --stats and --ignore-missing-args
 * stay on the sender, and --compress-choice and --modify-window=-1 are passed only to an rsync that has them
 * (compression.ts, time-precision.ts). Tried with rsync's own builds of 2.6.0, 3.0.0 and 3.1.0 on each end.
 */
const NEEDS = {
  source: { version: [3, 1, 0], why: "--info=progress2 and --ignore-missing-args, rsync 3.1.0" },
  target: { version: [3, 0, 0], why: "-A (ACLs) and -X (xattrs), rsync 3.0.0" },
} as const;

const label = (version: readonly number[]): string => version.join(".");

/** A blocker for each end whose readable rsync is older than the copy needs; an unreadable version says nothing. */
export function rsyncVersionFindings(builds: RsyncBuilds): Finding[] {
  const findings: Finding[] = [];
  for (const role of ["source", "target"] as const) {
    const found = builds[role]?.version;
    const needed = NEEDS[role];
    if (!found || versionAtLeast(found, needed.version)) continue;
    const end = role === "source" ? "sends" : "receives";
    findings.push(
      blocker(
        `rsync too old on the ${role}`,
        `the ${role} has rsync ${found}; as the end that ${end} the copy it needs rsync ${label(needed.version)} or later (${needed.why}): the first pass would stop at once`,
        `install rsync ${label(needed.version)} or later on the ${role} (from the distribution's backports, or a newer build first in PATH such as /usr/local/bin/rsync), then check with rsync --version`,
        role,
      ),
    );
  }
  return findings;
}
