// Why a protobuf request body could not be decoded. The REST layer turns these into 400 / 415
// Status responses; `message` is written for the person who sent the request.

export type ProtobufErrorCode =
  | 'NotKubernetesProtobuf' // no `k8s\0` envelope
  | 'UnknownKind' // the envelope names a kind this server has no table for
  | 'UnsupportedEncoding' // contentEncoding (e.g. gzip) or an inner contentType we cannot read
  | 'Truncated' // a length or value runs past the end of its message
  | 'Malformed'; // a wire type or value that cannot be what the table says

export class ProtobufDecodeError extends Error {
  constructor(
    readonly code: ProtobufErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProtobufDecodeError';
  }
}

export function isProtobufDecodeError(err: unknown): err is ProtobufDecodeError {
  return err instanceof ProtobufDecodeError;
}
