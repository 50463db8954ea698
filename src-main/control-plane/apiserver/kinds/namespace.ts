// Namespaces (core/v1, cluster-scoped): names are DNS labels; new namespaces start Active with the
// `kubernetes` finalizer, which the namespace controller removes once the namespace is empty.
import type { StatusCause } from '../../../shared/status';
import { isQualifiedName, nameIsDNSLabel } from '../../../shared/validation';
import { FieldPath, invalid } from './common/field';
import { validateObjectMeta, validateObjectMetaUpdate } from './common/meta';
import { AGE_COLUMN, column, NAME_COLUMN, since } from './common/print';
import { keepOldStatus, resourceOf, type FlotillaStrategy } from './common/strategy';
import { list, rec, str, type Json } from './common/util';
import type { KubeObject } from './types';

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

function ensureKubernetesFinalizer(obj: KubeObject): void {
  const spec = (obj.spec ??= {});
  const finalizers = list(spec.finalizers).map(String);
  if (!finalizers.includes('kubernetes')) spec.finalizers = [...finalizers, 'kubernetes'];
}

function defaults(obj: KubeObject): void {
  const meta = (obj.metadata ??= {});
  if (meta.name) meta.labels = { ...(meta.labels ?? {}), [NAMESPACE_NAME_LABEL]: meta.name };
  // The REST layer drops client-sent status on create, so a namespace without status is a new one: that is
  // when it gets its phase and the kubernetes finalizer (never on updates, or the finalizer could not be
  // removed over the namespace's life).
  if (obj.status === undefined) {
    obj.status = { phase: 'Active' };
    ensureKubernetesFinalizer(obj);
  }
  const status = obj.status as Json;
  if (!status.phase) status.phase = 'Active';
}

function prepareForCreate(obj: KubeObject): void {
  obj.status = { phase: 'Active' };
  ensureKubernetesFinalizer(obj);
}

function validateSpecFinalizers(spec: unknown): StatusCause[] {
  const out: StatusCause[] = [];
  const path = FieldPath.root('spec', 'finalizers');
  for (const f of list(rec(spec)?.finalizers).map(String)) {
    const errs = isQualifiedName(f);
    for (const m of errs) out.push(invalid(path, f, m));
    if (errs.length === 0 && !f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
      out.push(invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  }
  return out;
}

export const namespaceStrategy: FlotillaStrategy = {
  resource: resourceOf('', 'namespaces'),
  defaults,
  prepareForCreate,
  prepareForUpdate: keepOldStatus,
  validateCreate: (obj) => [
    ...validateObjectMeta(obj, { namespaced: false, nameFn: nameIsDNSLabel }),
    ...validateSpecFinalizers(obj.spec),
  ],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validateSpecFinalizers(obj.spec)],
  columns: [NAME_COLUMN, column('Status', 'string', 'The status of the namespace'), AGE_COLUMN],
  row: (obj, now) => [
    obj.metadata?.name ?? '',
    str(rec(obj.status)?.phase),
    since(obj.metadata?.creationTimestamp, now),
  ],
  fieldSelectors: {
    'status.phase': (o) => str(rec(o.status)?.phase),
  },
};
