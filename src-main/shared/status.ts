// The Kubernetes `Status` body: how every rejected request is reported, to kubectl, the CLI and the UI alike.
// Field-level problems travel as `details.causes` with a field path (`spec.containers[0].image`).

/** Kubernetes field error types (k8s.io/apimachinery/pkg/util/validation/field ErrorType). */
export type CauseType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'
  | 'FieldValueNotFound'
  | 'FieldManagerConflict'
  | 'UnexpectedServerResponse';

/** One field-level problem. On the wire the cause type is named `reason` (metav1.StatusCause). */
export interface StatusCause {
  reason?: CauseType | string;
  message?: string;
  field?: string;
}

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'Timeout'
  | 'TooManyRequests'
  | 'InternalError'
  | 'Expired'
  | 'ServiceUnavailable';

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: { resourceVersion?: string; continue?: string };
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: StatusCause[];
    retryAfterSeconds?: number;
  };
  code: number;
}

export function isStatus(value: unknown): value is Status {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'Status' &&
    typeof (value as { code?: unknown }).code === 'number'
  );
}

/** Formats one field cause the way Kubernetes prints it: `spec.replicas: Invalid value: -1: must be >= 0`. */
export function formatCause(cause: StatusCause): string {
  return cause.field ? `${cause.field}: ${cause.message ?? ''}` : (cause.message ?? '');
}
