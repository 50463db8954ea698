// Typed failures of the authentication layer.

export type AuthErrorCode = 'TokenStoreCorrupt' | 'TokenStoreIo' | 'TokenInvalid';

export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
