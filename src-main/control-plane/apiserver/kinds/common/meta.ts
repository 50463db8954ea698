// Object metadata validation (ValidateObjectMeta / ValidateObjectMetaUpdate in k8s.io/apimachinery's
// api/validation): name or generateName per the kind's name rule, namespace, labels, annotations, owner
// references and finalizers; on update, the identity fields that may never change.
import type { StatusCause } from '../../../../shared/status';
import {
  annotationProblems,
  isDNS1123Label,
  isQualifiedName,
  labelProblems,
  nameIsDNSSubdomain,
  type NameValidator,
} from '../../../../shared/validation';
import { TOTAL_ANNOTATION_SIZE_LIMIT_BYTES } from '../../../../shared/validation';
import type { KubeObject, ObjectMeta } from '../types';
import {
  FieldPath,
  forbidden,
  invalid,
  required,
  tooLong,
  validateImmutable,
  validateNonnegative,
} from './field';
import { isRecord, list, strMap } from './util';

const META = FieldPath.root('metadata');

export interface MetaOptions {
  namespaced: boolean;
  /** The kind's name rule (DNS subdomain for most kinds). */
  nameFn?: NameValidator;
}

/** ValidateLabels: every bad key and value reported on the map's own path. */
export function validateLabels(labels: unknown, path: FieldPath): StatusCause[] {
  return labelProblems(strMap(labels)).map((p) => invalid(path, p.value, p.message));
}

export function validateAnnotations(annotations: unknown, path: FieldPath): StatusCause[] {
  const { keys, tooLong: over } = annotationProblems(strMap(annotations));
  const out = keys.map((p) => invalid(path, p.value, p.message));
  if (over) out.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  return out;
}

export function validateOwnerReferences(refs: unknown, path: FieldPath): StatusCause[] {
  const out: StatusCause[] = [];
  const controllers: string[] = [];
  for (const ref of list(refs)) {
    if (!isRecord(ref)) continue;
    const apiVersion = typeof ref.apiVersion === 'string' ? ref.apiVersion : '';
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    if (version.length === 0)
      out.push(invalid(path.child('apiVersion'), apiVersion, 'version must not be empty'));
    if (!ref.kind) out.push(invalid(path.child('kind'), ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) out.push(invalid(path.child('name'), ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) out.push(invalid(path.child('uid'), ref.uid ?? '', 'uid must not be empty'));
    if (ref.controller === true) controllers.push(`${String(ref.kind)}/${String(ref.name)}`);
  }
  if (controllers.length > 1) {
    out.push(
      invalid(
        path,
        refs,
        `Only one reference can have Controller set to true. Found "true" in references for ${controllers[0]} and ${controllers[1]}`,
      ),
    );
  }
  return out;
}

export function validateFinalizers(finalizers: unknown, path: FieldPath): StatusCause[] {
  const out: StatusCause[] = [];
  const names = list(finalizers).map((f) => String(f));
  for (const f of names) for (const msg of isQualifiedName(f)) out.push(invalid(path, f, msg));
  if (names.includes('orphan') && names.includes('foregroundDeletion')) {
    out.push(invalid(path, names, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return out;
}

/** ValidateObjectMeta for a new object. */
export function validateObjectMeta(obj: KubeObject, opts: MetaOptions): StatusCause[] {
  const meta: ObjectMeta = obj.metadata ?? {};
  const nameFn = opts.nameFn ?? nameIsDNSSubdomain;
  const out: StatusCause[] = [];
  if (meta.generateName) {
    for (const msg of nameFn(meta.generateName, true))
      out.push(invalid(META.child('generateName'), meta.generateName, msg));
  }
  if (!meta.name) {
    out.push(required(META.child('name'), 'name or generateName is required'));
  } else {
    for (const msg of nameFn(meta.name, false)) out.push(invalid(META.child('name'), meta.name, msg));
  }
  if (opts.namespaced) {
    if (!meta.namespace) out.push(required(META.child('namespace')));
    else
      for (const msg of isDNS1123Label(meta.namespace))
        out.push(invalid(META.child('namespace'), meta.namespace, msg));
  } else if (meta.namespace) {
    out.push(forbidden(META.child('namespace'), 'not allowed on this type'));
  }
  out.push(...validateNonnegative(meta.generation, META.child('generation')));
  out.push(...validateLabels(meta.labels, META.child('labels')));
  out.push(...validateAnnotations(meta.annotations, META.child('annotations')));
  out.push(...validateOwnerReferences(meta.ownerReferences, META.child('ownerReferences')));
  out.push(...validateFinalizers(meta.finalizers, META.child('finalizers')));
  return out;
}

/**
 * ValidateObjectMetaUpdate: identity fields are immutable, generation may not go down, no new finalizers once
 * deletion started, and the new labels/annotations/owners must be valid. (resourceVersion preconditions are the
 * REST layer's business.)
 */
export function validateObjectMetaUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const meta: ObjectMeta = obj.metadata ?? {};
  const oldMeta: ObjectMeta = old.metadata ?? {};
  const out: StatusCause[] = [];
  if (oldMeta.deletionTimestamp) {
    const before = new Set(list(oldMeta.finalizers).map(String));
    const added = [...new Set(list(meta.finalizers).map(String))].filter((f) => !before.has(f)).sort();
    if (added.length > 0) {
      out.push(
        forbidden(
          META.child('finalizers'),
          `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
        ),
      );
    }
  }
  if ((meta.generation ?? 0) < (oldMeta.generation ?? 0)) {
    out.push(invalid(META.child('generation'), meta.generation ?? 0, 'must not be decremented'));
  }
  out.push(...validateImmutable(meta.name, oldMeta.name, META.child('name')));
  out.push(...validateImmutable(meta.namespace, oldMeta.namespace, META.child('namespace')));
  out.push(...validateImmutable(meta.uid, oldMeta.uid, META.child('uid')));
  out.push(
    ...validateImmutable(meta.creationTimestamp, oldMeta.creationTimestamp, META.child('creationTimestamp')),
  );
  out.push(
    ...validateImmutable(meta.deletionTimestamp, oldMeta.deletionTimestamp, META.child('deletionTimestamp')),
  );
  out.push(
    ...validateImmutable(
      meta.deletionGracePeriodSeconds,
      oldMeta.deletionGracePeriodSeconds,
      META.child('deletionGracePeriodSeconds'),
    ),
  );
  out.push(...validateLabels(meta.labels, META.child('labels')));
  out.push(...validateAnnotations(meta.annotations, META.child('annotations')));
  out.push(...validateOwnerReferences(meta.ownerReferences, META.child('ownerReferences')));
  out.push(...validateFinalizers(meta.finalizers, META.child('finalizers')));
  return out;
}

/**
 * What rest.BeforeUpdate does before validation: an update may omit uid and the system timestamps (a replaced
 * manifest usually does), so they are taken from the stored object, and a client can never change generation.
 * Exported for the generic REST layer.
 */
export function prepareObjectMetaForUpdate(obj: KubeObject, old: KubeObject): void {
  const meta: ObjectMeta = (obj.metadata ??= {});
  const oldMeta: ObjectMeta = old.metadata ?? {};
  if (oldMeta.generation !== undefined) meta.generation = oldMeta.generation;
  if (!meta.uid && oldMeta.uid) meta.uid = oldMeta.uid;
  if (oldMeta.creationTimestamp) meta.creationTimestamp = oldMeta.creationTimestamp;
  if (oldMeta.deletionTimestamp) meta.deletionTimestamp = oldMeta.deletionTimestamp;
  if (oldMeta.deletionGracePeriodSeconds !== undefined && meta.deletionGracePeriodSeconds === undefined) {
    meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
  }
}
