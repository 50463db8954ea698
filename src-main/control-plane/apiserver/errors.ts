// API errors are typed values that carry everything a Kubernetes `Status` body needs. Handlers throw
// them; the server turns them into the response. Nothing else decides status codes.
import type { Status, StatusCause, StatusReason } from '../../shared/status';
import { formatCause } from '../../shared/status';

export interface ErrorTarget {
  group?: string;
  /** The resource (plural) — Kubernetes puts it in `details.kind` for NotFound/AlreadyExists. */
  kind?: string;
  name?: string;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly target: ErrorTarget = {},
    readonly causes: StatusCause[] = [],
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Status {
    const details: Status['details'] = {};
    if (this.target.name !== undefined) details.name = this.target.name;
    if (this.target.group !== undefined) details.group = this.target.group;
    if (this.target.kind !== undefined) details.kind = this.target.kind;
    if (this.causes.length > 0) details.causes = this.causes;
    if (this.retryAfterSeconds !== undefined) details.retryAfterSeconds = this.retryAfterSeconds;
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(Object.keys(details).length > 0 ? { details } : {}),
      code: this.code,
    };
  }
}

function qualified(t: ErrorTarget): string {
  return t.group ? `${t.kind}.${t.group}` : (t.kind ?? '');
}

export const errors = {
  badRequest: (message: string, causes: StatusCause[] = []) =>
    new ApiError(400, 'BadRequest', message, {}, causes),
  unauthorized: () => new ApiError(401, 'Unauthorized', 'Unauthorized'),
  forbidden: (message: string, target: ErrorTarget = {}) => new ApiError(403, 'Forbidden', message, target),
  notFound: (t: ErrorTarget) => new ApiError(404, 'NotFound', `${qualified(t)} "${t.name}" not found`, t),
  notFoundPath: (path: string) =>
    new ApiError(404, 'NotFound', `the server could not find the requested resource (${path})`),
  alreadyExists: (t: ErrorTarget) =>
    new ApiError(409, 'AlreadyExists', `${qualified(t)} "${t.name}" already exists`, t),
  conflict: (t: ErrorTarget, why: string) =>
    new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(t)} "${t.name}": ${why}`, t),
  gone: (message: string) => new ApiError(410, 'Expired', message),
  /** 422: the object failed validation: `Deployment.apps "web" is invalid: …` (the kind qualified by its group). */
  invalid: (kindName: string, t: ErrorTarget, causes: StatusCause[]) =>
    new ApiError(
      422,
      'Invalid',
      `${t.group ? `${kindName}.${t.group}` : kindName} "${t.name ?? ''}" is invalid: ${
        causes.length === 1 ? formatCause(causes[0]!) : `[${causes.map(formatCause).join(', ')}]`
      }`,
      { ...t, kind: kindName },
      causes,
    ),
  methodNotAllowed: (message = 'the server does not allow this method on the requested resource') =>
    new ApiError(405, 'MethodNotAllowed', message),
  notAcceptable: (message: string) => new ApiError(406, 'NotAcceptable', message),
  tooLarge: (limit: number) =>
    new ApiError(413, 'RequestEntityTooLarge', `the request body is larger than the limit of ${limit} bytes`),
  unsupportedMediaType: (contentType: string) =>
    new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format: ${contentType}`,
    ),
  /** A read or watch at a resourceVersion the server has not reached (504 Timeout, as Kubernetes). */
  tooLargeResourceVersion: (wanted: number, current: number) =>
    new ApiError(
      504,
      'Timeout',
      `Too large resource version: ${wanted}, current: ${current}`,
      {},
      [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      1,
    ),
  internal: (message: string) => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`),
  unavailable: (message: string) => new ApiError(503, 'ServiceUnavailable', message),
};

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}
