// Pure Deployment arithmetic (pkg/controller/deployment/util): defaults, max surge/unavailable,
// template hashes, revisions, which ReplicaSet is "new", how many replicas it may have now.
import { canonicalJson, jsonEqual } from '../../../shared/kube/meta';
import type { Deployment, IntOrString, PodTemplateSpec, ReplicaSet } from '../../../shared/kube/objects';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** Deployment annotations that are not copied to its ReplicaSets. */
export const ANNOTATIONS_NOT_COPIED = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
]);

// Condition reasons `kubectl rollout status` and `describe` read.
export const REASON_NEW_RS_AVAILABLE = 'NewReplicaSetAvailable';
export const REASON_RS_UPDATED = 'ReplicaSetUpdated';
export const REASON_NEW_RS_CREATED = 'NewReplicaSetCreated';
export const REASON_FOUND_NEW_RS = 'FoundNewReplicaSet';
export const REASON_TIMED_OUT = 'ProgressDeadlineExceeded';
export const REASON_PAUSED = 'DeploymentPaused';
export const REASON_RESUMED = 'DeploymentResumed';
export const REASON_MIN_AVAILABLE = 'MinimumReplicasAvailable';
export const REASON_MIN_UNAVAILABLE = 'MinimumReplicasUnavailable';

export const replicasOf = (d: Deployment): number => d.spec.replicas ?? 1;
export const rsReplicas = (rs: ReplicaSet | undefined): number => rs?.spec.replicas ?? 0;
export const isRecreate = (d: Deployment): boolean => d.spec.strategy?.type === 'Recreate';
export const revisionHistoryLimit = (d: Deployment): number => d.spec.revisionHistoryLimit ?? 10;
export const hasProgressDeadline = (d: Deployment): boolean =>
  d.spec.progressDeadlineSeconds === undefined || d.spec.progressDeadlineSeconds < 2147483647;
export const progressDeadlineSeconds = (d: Deployment): number => d.spec.progressDeadlineSeconds ?? 600;

/** An int or a percentage of `total` (intstr.GetScaledValueFromIntOrPercent). */
export function scaledValue(
  value: IntOrString | undefined,
  total: number,
  roundUp: boolean,
  fallback: IntOrString,
): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return /^\d+$/.test(v) ? Number(v) : 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge and maxUnavailable resolved against the replica count; never both zero. */
export function resolveFenceposts(d: Deployment): { surge: number; unavailable: number } {
  const replicas = replicasOf(d);
  const ru = d.spec.strategy?.rollingUpdate;
  const surge = scaledValue(ru?.maxSurge, replicas, true, '25%');
  let unavailable = scaledValue(ru?.maxUnavailable, replicas, false, '25%');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: Deployment): number {
  return isRecreate(d) ? 0 : resolveFenceposts(d).surge;
}

export function maxUnavailable(d: Deployment): number {
  const replicas = replicasOf(d);
  if (isRecreate(d) || replicas === 0) return 0;
  return Math.min(resolveFenceposts(d).unavailable, replicas);
}

/** FNV-1a, 32 bit. */
function fnv32a(text: string, seed = 0x811c9dc5): number {
  let h = seed;
  const bytes = new TextEncoder().encode(text);
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * The pod-template-hash of a template (controller.ComputeHash): FNV-1a of the template (its canonical
 * JSON here) and the collision count, printed in decimal and mapped onto an alphabet without vowels
 * (rand.SafeEncodeString) so it can never spell a word.
 */
export function computeTemplateHash(template: PodTemplateSpec, collisionCount?: number): string {
  let text = canonicalJson(normalizeJson(template) ?? {});
  if (collisionCount !== undefined && collisionCount > 0) text += `#${collisionCount}`;
  const decimal = String(fnv32a(text));
  return [...decimal].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

/**
 * Drops nulls, empty objects and empty arrays. Kubernetes compares templates as Go structs, where an
 * absent field, `null` and `{}` (e.g. the `resources: {}` kubectl sends back on undo) are the same
 * thing; compared as JSON they would not be, and a rollback would make a new ReplicaSet.
 */
export function normalizeJson(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalizeJson);
    return items.length ? items : undefined;
  }
  if (value === null) return undefined;
  if (typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const n = normalizeJson(v);
    if (n !== undefined) out[k] = n;
  }
  return Object.keys(out).length ? out : undefined;
}

function withoutHash(t: PodTemplateSpec | undefined): unknown {
  const copy = structuredClone(t ?? {});
  if (copy.metadata?.labels) delete copy.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  return normalizeJson(copy) ?? {};
}

/** Templates equal apart from the pod-template-hash label (EqualIgnoreHash). */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return jsonEqual(withoutHash(a), withoutHash(b));
}

export function revisionOf(rs: ReplicaSet): number {
  const v = rs.metadata.annotations?.[REVISION_ANNOTATION];
  const n = v === undefined ? 0 : Number(v);
  return Number.isInteger(n) ? n : 0;
}

const created = (o: { metadata: { creationTimestamp?: string; name?: string } }) =>
  Date.parse(o.metadata.creationTimestamp ?? '') || 0;

/** Oldest first; name breaks ties (ReplicaSetsByCreationTimestamp). */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  return created(a) - created(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** The ReplicaSet whose template matches the Deployment's (the oldest if several), and the rest. */
export function splitReplicaSets(
  d: Deployment,
  rsList: readonly ReplicaSet[],
): { newRS?: ReplicaSet; oldRSs: ReplicaSet[] } {
  const sorted = [...rsList].sort(byCreation);
  const newRS = sorted.find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
  return { ...(newRS ? { newRS } : {}), oldRSs: sorted.filter((rs) => rs !== newRS) };
}

export const isActive = (rs: ReplicaSet | undefined): rs is ReplicaSet => rsReplicas(rs) > 0;

export function maxRevision(rsList: readonly ReplicaSet[]): number {
  return rsList.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/**
 * Copies the Deployment's annotations to the new ReplicaSet and sets its revision; when an existing
 * ReplicaSet becomes new again (a rollback), its previous revision goes to revision-history.
 * Mutates `rs` (a copy); returns whether anything changed.
 */
export function setNewReplicaSetAnnotations(
  d: Deployment,
  rs: ReplicaSet,
  newRevision: number,
  exists: boolean,
): boolean {
  const annotations = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (ANNOTATIONS_NOT_COPIED.has(k) || annotations[k] === v) continue;
    annotations[k] = v;
    changed = true;
  }
  const old = annotations[REVISION_ANNOTATION];
  if ((old === undefined ? 0 : Number(old)) < newRevision) {
    annotations[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (old !== undefined && exists) {
      const history = annotations[REVISION_HISTORY_ANNOTATION];
      annotations[REVISION_HISTORY_ANNOTATION] = history ? `${history},${old}` : old;
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** Records the Deployment size a ReplicaSet was last scaled for (used to detect scaling events). */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const annotations = (rs.metadata.annotations ??= {});
  let changed = false;
  if (annotations[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    annotations[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (annotations[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    annotations[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** A replica count change (not a template change) is pending: some active RS was sized for another count. */
export function isScalingEvent(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[]): boolean {
  for (const rs of allRSs) {
    if (!isActive(rs)) continue;
    const desired = intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
    if (desired !== undefined && desired !== replicasOf(d)) return true;
  }
  return false;
}

/**
 * How big each active ReplicaSet should be after the Deployment's replica count changed mid-rollout
 * (proportional scaling: each RS gets its share of the change, the remainder to the biggest).
 */
export function proportionalSizes(d: Deployment, active: readonly ReplicaSet[]): Map<ReplicaSet, number> {
  const replicas = replicasOf(d);
  const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
  const current = active.reduce((n, rs) => n + rsReplicas(rs), 0);
  const toAdd = allowed - current;
  const sizes = new Map<ReplicaSet, number>();
  const order = [...active].sort((a, b) => {
    const bySize = rsReplicas(b) - rsReplicas(a);
    if (bySize) return bySize;
    // Growing favours the newer RS, shrinking the older one.
    return toAdd > 0 ? byCreation(b, a) : byCreation(a, b);
  });
  let added = 0;
  for (const rs of order) {
    let proportion = 0;
    if (toAdd !== 0 && added !== toAdd && rsReplicas(rs) > 0) {
      const annotated = intAnnotation(rs, MAX_REPLICAS_ANNOTATION) ?? (d.status?.replicas || current);
      const fraction =
        replicas === 0
          ? -rsReplicas(rs)
          : Math.round((rsReplicas(rs) * allowed) / Math.max(1, annotated)) - rsReplicas(rs);
      const room = toAdd - added;
      proportion = toAdd > 0 ? Math.min(fraction, room) : Math.max(fraction, room);
    }
    sizes.set(rs, rsReplicas(rs) + proportion);
    added += proportion;
  }
  const first = order[0];
  if (first && toAdd !== 0 && added !== toAdd)
    sizes.set(first, Math.max(0, (sizes.get(first) ?? 0) + toAdd - added));
  return sizes;
}
