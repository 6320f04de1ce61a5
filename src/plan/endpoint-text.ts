/** A host as one text, split into the keys a plan's endpoint holds it in. */
export interface EndpointText {
  user?: string;
  host: string;
  /** As written: the caller says whether it is in range. */
  port?: number;
}

/**
 * `[user@]host[:port]` as ssh and --source take it (an IPv6 address in brackets: `root@[::1]:2222`);
 * undefined when the text is not that.
 */
export function parseEndpointText(value: string): EndpointText | undefined {
  const match = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d+))?$/.exec(value);
  if (!match) return undefined;
  return {
    ...(match[1] !== undefined ? { user: match[1] } : {}),
    host: match[2]!.replace(/^\[|\]$/g, ""),
    ...(match[3] !== undefined ? { port: Number(match[3]) } : {}),
  };
}
