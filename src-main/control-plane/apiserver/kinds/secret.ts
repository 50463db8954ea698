// Secrets (core/v1): `stringData` is folded into base64 `data` (it is write-only, as in Kubernetes), data must
// be valid base64 within 1 MiB, and the well-known types require their keys.
import type { StatusCause } from '../../../shared/status';
import { toBase64 } from './common/base64';
import { checkDataMap, MAX_DATA_SIZE_BYTES, validateImmutableData } from './common/data';
import { FieldPath, invalid, required, tooLong, validateImmutable } from './common/field';
import { validateObjectMeta, validateObjectMetaUpdate } from './common/meta';
import { AGE_COLUMN, column, NAME_COLUMN, since } from './common/print';
import { resourceOf, type FlotillaStrategy } from './common/strategy';
import { ensureRec, rec, setDefault, str, type Json } from './common/util';
import type { KubeObject } from './types';

const DATA = FieldPath.root('data');

function defaults(obj: KubeObject): void {
  const o = obj as Json;
  setDefault(o, 'type', 'Opaque');
  const stringData = rec(o.stringData);
  if (stringData) {
    const data = ensureRec(o, 'data');
    for (const [k, v] of Object.entries(stringData)) data[k] = toBase64(String(v ?? ''));
    delete o.stringData;
  }
}

function decoded(data: Json, key: string): string | undefined {
  const v = data[key];
  return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined;
}

function validateTypeRequirements(o: Json): StatusCause[] {
  const data = rec(o.data) ?? {};
  const has = (k: string) => k in data;
  switch (str(o.type)) {
    case 'kubernetes.io/service-account-token': {
      const annotations = rec(rec(o.metadata)?.annotations) ?? {};
      return str(annotations['kubernetes.io/service-account.name'])
        ? []
        : [required(FieldPath.root('metadata', 'annotations').key('kubernetes.io/service-account.name'))];
    }
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const key = o.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(key)) return [required(DATA.key(key))];
      try {
        JSON.parse(decoded(data, key) ?? '');
        return [];
      } catch (e) {
        return [invalid(DATA.key(key), '<secret contents redacted>', (e as Error).message)];
      }
    }
    case 'kubernetes.io/basic-auth':
      return has('username') || has('password')
        ? []
        : [required(DATA.key('username')), required(DATA.key('password'))];
    case 'kubernetes.io/ssh-auth':
      return str(data['ssh-privatekey']) ? [] : [required(DATA.key('ssh-privatekey'))];
    case 'kubernetes.io/tls': {
      const out: StatusCause[] = [];
      if (!has('tls.crt')) out.push(required(DATA.key('tls.crt')));
      if (!has('tls.key')) out.push(required(DATA.key('tls.key')));
      return out;
    }
    default:
      return [];
  }
}

function validateSecret(o: Json): StatusCause[] {
  const { causes, totalBytes } = checkDataMap(o.data, DATA, true);
  if (totalBytes > MAX_DATA_SIZE_BYTES) causes.push(tooLong(DATA, MAX_DATA_SIZE_BYTES));
  return [...causes, ...validateTypeRequirements(o)];
}

export const secretStrategy: FlotillaStrategy = {
  resource: resourceOf('', 'secrets'),
  defaults,
  validateCreate: (obj) => [...validateObjectMeta(obj, { namespaced: true }), ...validateSecret(obj as Json)],
  validateUpdate: (obj, old) => [
    ...validateObjectMetaUpdate(obj, old),
    ...validateImmutable((obj as Json).type, (old as Json).type, FieldPath.root('type')),
    ...validateImmutableData(obj as Json, old as Json, ['data']),
    ...validateSecret(obj as Json),
  ],
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    column('Data', 'string', 'Data contains the secret data.'),
    AGE_COLUMN,
  ],
  row: (obj, now) => [
    obj.metadata?.name ?? '',
    str((obj as Json).type),
    Object.keys(rec((obj as Json).data) ?? {}).length,
    since(obj.metadata?.creationTimestamp, now),
  ],
  fieldSelectors: {
    type: (o) => str((o as Json).type),
  },
};
