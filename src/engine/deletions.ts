/**
 * What a step deletes on a host beyond what its title says (a cleanup before an update), told by its probe
 * as the fact DELETIONS_FACT: the dry run's risk summary lists it among what the run deletes, for any kind.
 */
export interface Deletion {
  host: string;
  /** In words, for a sysadmin deciding whether to run it: "the system journal's logs beyond its newest 100 MB". */
  what: string;
  /** The commands that delete it, as the step's command list shows them. */
  commands: string[];
}

export const DELETIONS_FACT = "deletes";

export function isDeletionList(value: unknown): value is Deletion[] {
  return (
    Array.isArray(value) &&
    value.every(
      (d) =>
        typeof d === "object" &&
        d !== null &&
        typeof (d as Deletion).host === "string" &&
        typeof (d as Deletion).what === "string" &&
        Array.isArray((d as Deletion).commands) &&
        (d as Deletion).commands.every((c) => typeof c === "string"),
    )
  );
}
