import { BadInputError, BlockedError } from "../../errors.js";

/*
 * Which error class, and why:
 * - Host key problems (unknown, changed, revoked, not the pinned or expected fingerprint) are BlockedError
 *   (exit 3): nothing has changed yet, and a human has to check a fingerprint out of band before the run
 *   may go on. They are not "bad input": the plan can be perfectly right while the network is not.
 * - Host unreachable (name not resolved, refused, timed out, connection lost while connecting) is BlockedError too, flagged
 *   `retryable` so a pipeline waiting for a rebooted target can try again; a host key error never is.
 * - What the user wrote and we cannot use (an ssh config or identity file we cannot read, an encrypted key
 *   without an agent, no way to authenticate, a key the server refuses)
 *   is BadInputError (exit 2): the fix is in the plan, the ssh config or the key files.
 * - A sudo that wants a password, or a non-root login without `sudo: true`, is BlockedError: the host must
 *   be prepared (NOPASSWD sudoers rule) before the run.
 */

export type HostKeyProblem = "unknown" | "changed" | "revoked" | "pinned-mismatch" | "not-accepted";

export class HostKeyError extends BlockedError {
  override name = "HostKeyError";
  constructor(
    readonly problem: HostKeyProblem,
    /** "127.0.0.1 port 2222", as in the message. */
    readonly hostLabel: string,
    /** The fingerprint the server presented. */
    readonly presentedFingerprint: string,
    message: string,
  ) {
    super(message);
  }
}

export class SshUnreachableError extends BlockedError {
  override name = "SshUnreachableError";
  readonly retryable = true;
}

export class SshAuthError extends BadInputError {
  override name = "SshAuthError";
}

export class SshSetupError extends BadInputError {
  override name = "SshSetupError";
}
