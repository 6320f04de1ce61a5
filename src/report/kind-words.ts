/** How each pipeline kind is named on screen and in reports: an image clone is not a "migration". */
export interface KindWords {
  /** Heads reports and status: "Migration web1", "Image clone image-clone-3fa…". */
  noun: string;
  /** The end line of a successful run. */
  complete: string;
  /** Whether services stop for a while (a freeze window is worth a section). */
  freezes: boolean;
  /** Whether the dry run estimates bytes to transfer. */
  transfers: boolean;
}

const MIGRATION: KindWords = { noun: "Migration", complete: "Migration complete", freezes: true, transfers: true };

const WORDS: Record<string, KindWords> = {
  "openvz-to-kvm": MIGRATION,
  "vserver-to-openvz": MIGRATION,
  demo: MIGRATION, // the test pipeline that stands in for a migration
  "image-clone": { noun: "Image clone", complete: "Clones created", freezes: false, transfers: false },
  "image-sparsify": {
    noun: "Image sparsify",
    complete: "Image sparsified and checked",
    freezes: false,
    transfers: false,
  },
  "image-info": { noun: "Image info", complete: "Image inspected", freezes: false, transfers: false },
  "host-doctor": { noun: "Host check", complete: "Host checked", freezes: false, transfers: false },
};

/** Unknown kinds (tests, demos) read as a generic run, never as a migration they are not. */
export const wordsFor = (kind: string): KindWords =>
  WORDS[kind] ?? { noun: "Run", complete: "Done", freezes: false, transfers: false };
