import { appendFileSync } from "node:fs";

/** Module customization hook (runs off the main thread): logs each resolved URL, one per line. */
export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (process.env.MUDANZA_IMPORT_LOG) appendFileSync(process.env.MUDANZA_IMPORT_LOG, `${result.url}\n`);
  return result;
}
