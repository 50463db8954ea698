// ConfigMaps (core/v1).
import type { StatusCause } from '../../../shared/status';
import { checkDataMap, MAX_DATA_SIZE_BYTES, validateImmutableData } from './common/data';
import { FieldPath, invalid, tooLong } from './common/field';
import { validateObjectMeta, validateObjectMetaUpdate } from './common/meta';
import { AGE_COLUMN, column, NAME_COLUMN, since } from './common/print';
import { resourceOf, type FlotillaStrategy } from './common/strategy';
import { rec, type Json } from './common/util';
import type { KubeObject } from './types';

function validateData(obj: Json): StatusCause[] {
  const data = checkDataMap(obj.data, FieldPath.root('data'), false);
  const binary = checkDataMap(obj.binaryData, FieldPath.root('binaryData'), true);
  const out = [...data.causes, ...binary.causes];
  const binaryKeys = new Set(Object.keys(rec(obj.binaryData) ?? {}));
  for (const key of Object.keys(rec(obj.data) ?? {})) {
    if (binaryKeys.has(key))
      out.push(invalid(FieldPath.root('data').key(key), key, 'duplicate of key present in binaryData'));
  }
  if (data.totalBytes + binary.totalBytes > MAX_DATA_SIZE_BYTES)
    out.push(tooLong(FieldPath.root(''), MAX_DATA_SIZE_BYTES));
  return out;
}

const count = (v: unknown) => Object.keys(rec(v) ?? {}).length;

export const configMapStrategy: FlotillaStrategy = {
  resource: resourceOf('', 'configmaps'),
  validateCreate: (obj) => [...validateObjectMeta(obj, { namespaced: true }), ...validateData(obj as Json)],
  validateUpdate: (obj, old) => [
    ...validateObjectMetaUpdate(obj, old),
    ...validateImmutableData(obj as Json, old as Json, ['data', 'binaryData']),
    ...validateData(obj as Json),
  ],
  columns: [NAME_COLUMN, column('Data', 'string', 'Data contains the configuration data.'), AGE_COLUMN],
  row: (obj: KubeObject, now: Date) => [
    obj.metadata?.name ?? '',
    count((obj as Json).data) + count((obj as Json).binaryData),
    since(obj.metadata?.creationTimestamp, now),
  ],
};
