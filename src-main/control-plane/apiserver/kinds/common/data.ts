// What ConfigMaps and Secrets share: data keys must be valid config keys, the total payload is at most 1 MiB,
// and an `immutable: true` object keeps its data for good.
import type { StatusCause } from '../../../../shared/status';
import { byteLength, isConfigMapKey } from '../../../../shared/validation';
import { base64DecodedLength, base64Error } from './base64';
import { deepEqual, FieldPath, forbidden, invalid } from './field';
import { rec, type Json } from './util';

export const MAX_DATA_SIZE_BYTES = 1024 * 1024;

export interface DataCheck {
  causes: StatusCause[];
  totalBytes: number;
}

/** Checks keys and sums sizes of one data map; `base64` maps hold encoded bytes (Secret.data, binaryData). */
export function checkDataMap(map: unknown, path: FieldPath, base64: boolean): DataCheck {
  const causes: StatusCause[] = [];
  let totalBytes = 0;
  for (const [key, value] of Object.entries(rec(map) ?? {})) {
    for (const m of isConfigMapKey(key)) causes.push(invalid(path.key(key), key, m));
    const text = typeof value === 'string' ? value : String(value ?? '');
    if (base64) {
      const err = base64Error(text);
      if (err) causes.push(invalid(path.key(key), '<value omitted>', err));
      else totalBytes += base64DecodedLength(text);
    } else {
      totalBytes += byteLength(text);
    }
  }
  return { causes, totalBytes };
}

/** `immutable: true` freezes the listed fields and itself. */
export function validateImmutableData(obj: Json, old: Json, fields: string[]): StatusCause[] {
  if (old.immutable !== true) return [];
  const out: StatusCause[] = [];
  if (obj.immutable !== true)
    out.push(forbidden(FieldPath.root('immutable'), 'field is immutable when `immutable` is set'));
  for (const f of fields) {
    if (!deepEqual(obj[f], old[f]))
      out.push(forbidden(FieldPath.root(f), 'field is immutable when `immutable` is set'));
  }
  return out;
}
