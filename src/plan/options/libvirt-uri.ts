import { BadInputError } from "../../errors.js";
import { redactUriPasswords } from "../../journal/secrets.js";

/**
 * The --connect URI as given, refused when it holds a password (`user:password@`): libvirt takes the whole
 * user part for the login name (ssh -l 'user:password'), so it never worked as a password, and mudanza
 * journals the virsh commands its undo runs, which would then hold it. libvirt reads passwords from an auth
 * file instead (https://libvirt.org/auth.html).
 */
export function libvirtUri(uri: string): string {
  if (redactUriPasswords(uri) !== uri)
    throw new BadInputError(
      `--connect ${redactUriPasswords(uri)}: the URI holds a password, which libvirt does not read from a URI (it would be part of the login name) and mudanza would write into its journal; leave it out and give libvirt the password in an auth file: $XDG_CONFIG_HOME/libvirt/auth.conf, /etc/libvirt/auth.conf or one named by ?authfile=FILE in the URI (https://libvirt.org/auth.html)`,
    );
  return uri;
}
