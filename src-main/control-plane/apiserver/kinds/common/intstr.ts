// IntOrString fields (maxSurge, maxUnavailable, targetPort): an integer or a string such as "25%".
import type { StatusCause } from '../../../../shared/status';
import { isValidPercent } from '../../../../shared/validation';
import { invalid, validateNonnegative, type FieldPath } from './field';

/** The integer, or the percentage number of a "N%" string (getIntOrPercentValue); NaN when neither. */
export function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const m = /^([0-9]+)%$/.exec(v);
    if (m) return Number(m[1]);
    return /^[0-9]+$/.test(v) ? Number(v) : Number.NaN;
  }
  return Number.NaN;
}

export function validatePositiveIntOrPercent(v: unknown, path: FieldPath): StatusCause[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return isValidPercent(v).map((msg) => invalid(path, v, msg));
  if (typeof v === 'number' && Number.isInteger(v)) return validateNonnegative(v, path);
  return [invalid(path, v, "must be an integer or percentage (e.g '5%')")];
}

export function isNotMoreThan100Percent(v: unknown, path: FieldPath): StatusCause[] {
  if (typeof v !== 'string' || !v.endsWith('%')) return [];
  return intOrPercentValue(v) > 100 ? [invalid(path, v, 'must not be greater than 100%')] : [];
}
