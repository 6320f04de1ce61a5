import { isMap, isNode, type Document, type LineCounter } from "yaml";

/** The line a problem is on: a key's own line, else the value at the path, else its nearest written parent. */
export type LineLocator = (path: readonly PropertyKey[], key?: string) => number | undefined;

export function yamlLineLocator(doc: Document, lines: LineCounter): LineLocator {
  const lineAt = (offset: number | undefined): number | undefined =>
    offset === undefined ? undefined : lines.linePos(offset).line;
  return (path, key) => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth) as unknown[], true);
      if (!isNode(node)) continue;
      if (key !== undefined && depth === path.length && isMap(node)) {
        const pair = node.items.find((p) => isNode(p.key) && String((p.key as { value?: unknown }).value) === key);
        if (pair && isNode(pair.key)) return lineAt(pair.key.range?.[0]);
      }
      return lineAt(node.range?.[0]);
    }
    return undefined;
  };
}
