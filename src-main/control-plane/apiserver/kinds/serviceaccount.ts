// ServiceAccounts (core/v1).
import type { StatusCause } from '../../../shared/status';
import { isDNS1123Subdomain } from '../../../shared/validation';
import { FieldPath, invalid } from './common/field';
import { validateObjectMeta, validateObjectMetaUpdate } from './common/meta';
import { AGE_COLUMN, column, NAME_COLUMN, since } from './common/print';
import { resourceOf, type FlotillaStrategy } from './common/strategy';
import { list, recList, str, type Json } from './common/util';

function validateRefs(o: Json): StatusCause[] {
  const out: StatusCause[] = [];
  for (const field of ['secrets', 'imagePullSecrets']) {
    recList(o[field]).forEach((ref, i) => {
      const name = str(ref.name);
      if (name !== '')
        for (const m of isDNS1123Subdomain(name))
          out.push(invalid(FieldPath.root(field).index(i).child('name'), name, m));
    });
  }
  return out;
}

export const serviceAccountStrategy: FlotillaStrategy = {
  resource: resourceOf('', 'serviceaccounts'),
  validateCreate: (obj) => [...validateObjectMeta(obj, { namespaced: true }), ...validateRefs(obj as Json)],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validateRefs(obj as Json)],
  columns: [
    NAME_COLUMN,
    column(
      'Secrets',
      'string',
      'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
    ),
    AGE_COLUMN,
  ],
  row: (obj, now) => [
    obj.metadata?.name ?? '',
    list((obj as Json).secrets).length,
    since(obj.metadata?.creationTimestamp, now),
  ],
};
