/** A host as one text, split into the keys a plan's endpoint holds it in. */
export interface EndpointText {
  user?: string;
  host: string;
  /** As written: the caller says whether it is in range. */
  port?: number;
}

/**
 * `[user@]host[:port]` as ssh and --source take it (an IPv6 address in brackets: `root@[::1]:2222`), also as
 * an `ssh://` URL, which ssh(1) takes too (new-user trial 10: "ssh:" was read as part of a user name);
 * undefined when the text is neither.
 */
export function parseEndpointText(value: string): EndpointText | undefined {
  const bare = /^ssh:\/\/([^/]*)\/?$/i.exec(value)?.[1] ?? value;
  const match = /^(?:([^@\s/]+)@)?(\[[^\]]+\]|[^:@\s/]+)(?::(\d+))?$/.exec(bare);
  if (!match) return undefined;
  return {
    ...(match[1] !== undefined ? { user: match[1] } : {}),
    host: match[2]!.replace(/^\[|\]$/g, ""),
    ...(match[3] !== undefined ? { port: Number(match[3]) } : {}),
  };
}

/** The scheme of a URL other than ssh:// (sftp://, https://), which names no host mudanza can log in to. */
export function otherUrlScheme(value: string): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1];
  return scheme && scheme.toLowerCase() !== "ssh" ? scheme : undefined;
}
