/** The journal, logs and reports must never hold key material or passwords: this check refuses them. */
const PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9 ]*PRIVATE KEY|OpenVPN Static key V1)-----/;
const SECRET_KEY_NAME = /^(password|passphrase|passwd|secret|privateKey|private_key)$/i;

export function findSecret(value: unknown, path = "$"): string | null {
  if (typeof value === "string") return PRIVATE_KEY.test(value) ? `${path} holds a private key` : null;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findSecret(item, `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (SECRET_KEY_NAME.test(key) && item !== undefined && item !== null && item !== "")
        return `${path}.${key} looks like a secret`;
      const found = findSecret(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

export function assertNoSecrets(value: unknown, what: string): void {
  const found = findSecret(value);
  if (found) throw new Error(`refusing to write ${what}: ${found}`);
}

/** `password=...`, `secret: ...`, `wpa-psk VALUE` and the like in a line of text: the value goes, the name stays. */
const SECRET_ASSIGNMENT =
  /\b(password|passphrase|passwd|secret|private_?key|psk)(["']?\s*[=:]\s*|[ \t]+)("[^"]*"|'[^']*'|[^\s'"]+)/gi;
const PRIVATE_KEY_BLOCK = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY|OpenVPN Static key V1)-----[\s\S]*?(-----END \1-----|$)/g;

/**
 * Text for a trace (--debug prints the commands mudanza runs): key blocks and the values of secret-named
 * settings are replaced by [redacted], the same names and blocks findSecret refuses in the journal.
 */
export function redactSecrets(text: string): string {
  return redactUriPasswords(
    text.replace(PRIVATE_KEY_BLOCK, "[redacted private key]").replace(SECRET_ASSIGNMENT, "$1$2[redacted]"),
  );
}

/** `scheme://user:password@host`: the password of a URI's user part (RFC 3986 userinfo). */
const URI_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@'"]*):[^\s/@'"]*@/gi;

/**
 * Text that names a URI (a libvirt --connect URI, say) with `user:***@` for `user:password@`: what mudanza
 * prints and journals must not hold the password, though the command it runs does.
 */
export function redactUriPasswords(text: string): string {
  return text.replace(URI_PASSWORD, "$1:***@");
}
