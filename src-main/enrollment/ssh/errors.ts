// Typed SSH failures. Each carries a code (the enrollment controller writes it into the Machine's
// status and the CLI prints it) and the context needed to act on it; `toJSON` lets them cross a
// process boundary as data.

export type SshErrorCode =
  | 'AuthFailed'
  | 'HostUnreachable'
  | 'HostKeyUnknown'
  | 'HostKeyMismatch'
  | 'Timeout'
  | 'Disconnected'
  | 'CommandFailed'
  | 'UploadFailed'
  | 'ChecksumMismatch'
  | 'ForwardFailed'
  | 'SshError';

export class SshError extends Error {
  /**
   * Which hop of a jumped connection failed: 'jump' for the jump host (its TCP connect, key, login or
   * the channel it could not open to the target), absent for the target itself.
   */
  hop?: 'jump';

  constructor(
    readonly code: SshErrorCode,
    message: string,
    /** `user@host:port` the error is about. */
    readonly target?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = code;
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { code: this.code, message: this.message };
    for (const [k, v] of Object.entries(this)) if (v !== undefined && typeof v !== 'function') out[k] = v;
    return out;
  }
}

/** The server refused every offered credential (wrong password, a key it does not accept). */
export class AuthFailed extends SshError {
  constructor(
    target: string,
    readonly methods: string[],
    options?: { cause?: unknown },
  ) {
    super(
      'AuthFailed',
      `authentication to ${target} failed (tried ${methods.join(', ') || 'no method'}): check the user, key or password`,
      target,
      options,
    );
  }
}

/** No TCP connection: refused, no route, DNS failure. */
export class HostUnreachable extends SshError {
  constructor(
    target: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('HostUnreachable', `cannot reach ${target}: ${reason}`, target, options);
  }
}

/**
 * First contact: nothing is pinned for this host yet. The caller shows `fingerprint` to the user and
 * connects again with it accepted.
 */
export class HostKeyUnknown extends SshError {
  constructor(
    target: string,
    readonly fingerprint: string,
    readonly keyType: string,
  ) {
    super(
      'HostKeyUnknown',
      `the host key of ${target} is not yet accepted: it presented ${keyType} ${fingerprint}; accept it to continue`,
      target,
    );
  }
}

/** The host presented a key other than the accepted one: refused (a reinstalled host, or an attack). */
export class HostKeyMismatch extends SshError {
  constructor(
    target: string,
    readonly expected: string,
    readonly actual: string,
    readonly keyType: string,
  ) {
    super(
      'HostKeyMismatch',
      `host key mismatch for ${target}: expected ${expected} but the host presented ${keyType} ${actual}; ` +
        `refusing to connect (if the host was reinstalled, accept the new fingerprint explicitly)`,
      target,
    );
  }
}

export class SshTimeout extends SshError {
  constructor(
    target: string,
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super('Timeout', `${operation} on ${target} timed out after ${timeoutMs} ms`, target);
  }
}

export class Disconnected extends SshError {
  constructor(target: string, detail = 'the connection closed') {
    super('Disconnected', `${target}: ${detail}`, target);
  }
}

export class CommandFailed extends SshError {
  constructor(
    target: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly signal?: string,
  ) {
    const how = exitCode === null ? `signal ${signal ?? '?'}` : `exit code ${exitCode}`;
    const tail = stderr.trim().split('\n').slice(-3).join(' / ');
    super('CommandFailed', `${target}: \`${command}\` failed with ${how}${tail ? `: ${tail}` : ''}`, target);
  }
}

export class ChecksumMismatch extends SshError {
  constructor(
    target: string,
    readonly remotePath: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      'ChecksumMismatch',
      `${target}: ${remotePath} has sha256 ${actual}, expected ${expected}; the upload was discarded`,
      target,
    );
  }
}

/**
 * Marks an error as the jump host's (keeping its class, so HostKeyUnknown stays HostKeyUnknown) and
 * says so first in the message: with two hosts involved, "which one" is the first question.
 */
export function onJumpHop<E>(err: E, jump: string): E {
  if (err instanceof SshError && err.hop !== 'jump') {
    err.hop = 'jump';
    err.message = `jump host ${jump}: ${err.message}`;
  }
  return err;
}

export function isSshError(err: unknown): err is SshError {
  return err instanceof SshError;
}
