import { debian } from "./debian.js";
import type { FamilyKnowledge } from "./family.js";
import type { Release } from "./release.js";
import { rhel } from "./rhel.js";

export type { BootLoaderLayout, ExcludeEntry, FamilyKnowledge, NetworkLayout } from "./family.js";
export { readRelease, isSupported, describeSupported, parseOsRelease, type Family, type Release } from "./release.js";

/** The one way steps reach family knowledge; throws for a family the tool does not know. */
export function knowledgeFor(release: Release): FamilyKnowledge {
  if (release.family === "rhel") return rhel;
  if (release.family === "debian") return debian;
  throw new Error(`${release.pretty} is neither RHEL-like nor Debian-like: this tool cannot migrate it`);
}
