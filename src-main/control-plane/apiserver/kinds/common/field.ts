// Field paths and field errors worded like k8s.io/apimachinery/pkg/util/validation/field: a cause's message is
// the error body (`Invalid value: -1: must be greater than or equal to 0`) and its field the path
// (`spec.replicas`), which is exactly what the API server puts into a Status' details.causes.
import type { StatusCause } from '../../../../shared/status';

/** An immutable field path: `root('spec').child('containers').index(0).child('image')` → `spec.containers[0].image`. */
export class FieldPath {
  private constructor(private readonly text: string) {}

  static root(...names: string[]): FieldPath {
    return new FieldPath(names.join('.'));
  }

  child(...names: string[]): FieldPath {
    return new FieldPath([this.text, ...names].filter((s) => s.length > 0).join('.'));
  }

  index(i: number): FieldPath {
    return new FieldPath(`${this.text}[${i}]`);
  }

  key(k: string): FieldPath {
    return new FieldPath(`${this.text}[${k}]`);
  }

  toString(): string {
    return this.text;
  }
}

export const root = FieldPath.root;

/** How Kubernetes renders a bad value: strings quoted, numbers and booleans bare, everything else as JSON. */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function cause(type: string, path: FieldPath, body: string, detail?: string): StatusCause {
  return { reason: type, field: path.toString(), message: detail ? `${body}: ${detail}` : body };
}

export function required(path: FieldPath, detail = ''): StatusCause {
  return cause('FieldValueRequired', path, 'Required value', detail);
}

export function invalid(path: FieldPath, value: unknown, detail: string): StatusCause {
  return cause('FieldValueInvalid', path, `Invalid value: ${formatValue(value)}`, detail);
}

/** `Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"` — values in the order given. */
export function notSupported(path: FieldPath, value: unknown, valid: readonly string[]): StatusCause {
  const detail =
    valid.length > 0 ? `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}` : '';
  return cause('FieldValueNotSupported', path, `Unsupported value: ${formatValue(value)}`, detail);
}

export function duplicate(path: FieldPath, value: unknown): StatusCause {
  return cause('FieldValueDuplicate', path, `Duplicate value: ${formatValue(value)}`);
}

export function notFound(path: FieldPath, value: unknown): StatusCause {
  return cause('FieldValueNotFound', path, `Not found: ${formatValue(value)}`);
}

export function forbidden(path: FieldPath, detail: string): StatusCause {
  return cause('FieldValueForbidden', path, 'Forbidden', detail);
}

export function tooLong(path: FieldPath, maxLength: number): StatusCause {
  return cause(
    'FieldValueTooLong',
    path,
    'Too long',
    `may not be more than ${maxLength} ${maxLength === 1 ? 'byte' : 'bytes'}`,
  );
}

export function tooMany(path: FieldPath, actual: number, max: number): StatusCause {
  return cause('FieldValueTooMany', path, `Too many: ${actual}`, `must have at most ${max} items`);
}

export const IS_NEGATIVE_ERROR = 'must be greater than or equal to 0';
export const IS_NOT_POSITIVE_ERROR = 'must be greater than zero';
export const IMMUTABLE_ERROR = 'field is immutable';

export function validateNonnegative(value: unknown, path: FieldPath): StatusCause[] {
  return typeof value === 'number' && value < 0 ? [invalid(path, value, IS_NEGATIVE_ERROR)] : [];
}

export function validatePositive(value: unknown, path: FieldPath): StatusCause[] {
  return typeof value === 'number' && value <= 0 ? [invalid(path, value, IS_NOT_POSITIVE_ERROR)] : [];
}

/** ValidateImmutableField: `Invalid value: <new>: field is immutable` when the value changed (deep comparison). */
export function validateImmutable(newValue: unknown, oldValue: unknown, path: FieldPath): StatusCause[] {
  return deepEqual(normalizeEmpty(newValue), normalizeEmpty(oldValue))
    ? []
    : [invalid(path, newValue, IMMUTABLE_ERROR)];
}

// Semantic equality treats an omitted field, null, an empty map and an empty list alike (as Go zero values do).
function normalizeEmpty(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v;
  if (typeof v === 'object' && Object.keys(v as object).length === 0) return undefined;
  return v;
}

/** Structural equality for JSON values; absent, null and empty containers count as equal inside objects. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const na = normalizeEmpty(a);
  const nb = normalizeEmpty(b);
  if (na === undefined || nb === undefined) return na === nb;
  if (typeof na !== typeof nb) return false;
  if (Array.isArray(na)) {
    if (!Array.isArray(nb) || na.length !== nb.length) return false;
    return na.every((x, i) => deepEqual(x, nb[i]));
  }
  if (typeof na === 'object') {
    const ra = na as Record<string, unknown>;
    const rb = nb as Record<string, unknown>;
    const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
    for (const k of keys) if (!deepEqual(ra[k], rb[k])) return false;
    return true;
  }
  return na === nb;
}
