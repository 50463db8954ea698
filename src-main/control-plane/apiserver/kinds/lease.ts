// Leases (coordination.k8s.io/v1): node heartbeats and leader election.
import type { StatusCause } from '../../../shared/status';
import { FieldPath, invalid } from './common/field';
import { validateObjectMeta, validateObjectMetaUpdate } from './common/meta';
import { AGE_COLUMN, column, NAME_COLUMN, since } from './common/print';
import { resourceOf, type FlotillaStrategy } from './common/strategy';
import { rec, str, type Json } from './common/util';

const SPEC = FieldPath.root('spec');

function validateSpec(spec: Json): StatusCause[] {
  const out: StatusCause[] = [];
  const duration = spec.leaseDurationSeconds;
  if (typeof duration === 'number' && duration <= 0)
    out.push(invalid(SPEC.child('leaseDurationSeconds'), duration, 'must be greater than 0'));
  const transitions = spec.leaseTransitions;
  if (typeof transitions === 'number' && transitions < 0) {
    out.push(invalid(SPEC.child('leaseTransitions'), transitions, 'must be greater than or equal to 0'));
  }
  for (const field of ['acquireTime', 'renewTime']) {
    const v = spec[field];
    if (typeof v === 'string' && Number.isNaN(Date.parse(v)))
      out.push(invalid(SPEC.child(field), v, 'must be an RFC 3339 time with microseconds'));
  }
  return out;
}

export const leaseStrategy: FlotillaStrategy = {
  resource: resourceOf('coordination.k8s.io', 'leases'),
  validateCreate: (obj) => [
    ...validateObjectMeta(obj, { namespaced: true }),
    ...validateSpec(rec(obj.spec) ?? {}),
  ],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validateSpec(rec(obj.spec) ?? {})],
  columns: [
    NAME_COLUMN,
    column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'),
    AGE_COLUMN,
  ],
  row: (obj, now) => [
    obj.metadata?.name ?? '',
    str(rec(obj.spec)?.holderIdentity),
    since(obj.metadata?.creationTimestamp, now),
  ],
};
