// Typed failures of the PKI layer: callers (the control plane, the CLI) branch on `code`, not on text.

export type PkiErrorCode =
  | 'PkiCorrupt' // a file under DATA_DIR/pki exists but cannot be parsed or does not belong with the others
  | 'PkiIo' // reading or writing the pki folder failed
  | 'KubeconfigInvalid'; // a kubeconfig we were asked to read is not one we can use

export class PkiError extends Error {
  override readonly name = 'PkiError';
  constructor(
    readonly code: PkiErrorCode,
    message: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
