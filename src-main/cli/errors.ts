// Failures the CLI reports to a person: a code for scripts and tests, a message that says what to do.

export type CliErrorCode =
  | 'InvalidOption' // an option value that cannot be right (checked before anything starts)
  | 'DataDirUnusable' // the data dir cannot be created, read or written
  | 'AddressInUse' // another process listens on the port
  | 'ListenFailed' // the address cannot be bound for another reason
  | 'StartFailed' // the control plane failed to start
  | 'UiNotBuilt'; // --ui without a built renderer (npm run build:ui)

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly code: CliErrorCode,
    message: string,
    readonly exitCode = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
