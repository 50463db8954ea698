// A Deployment's page: its ReplicaSets as revisions (newest first), the pods they own, and the rollout
// state in the words `kubectl rollout status` uses.
import type { Deployment, Pod, ReplicaSet } from '../../lib/kube-types';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

export interface Revision {
  revision: number;
  rs: ReplicaSet;
  name: string;
  desired: number;
  current: number;
  ready: number;
  /** The ReplicaSet whose template the Deployment now asks for (the highest revision). */
  isCurrent: boolean;
  images: string[];
}

function controlledBy(
  obj: { metadata: { ownerReferences?: { uid: string; controller?: boolean }[] } },
  uid: string,
) {
  return obj.metadata.ownerReferences?.some((o) => o.controller && o.uid === uid) ?? false;
}

export function revisionsOf(deployment: Deployment, replicasets: readonly ReplicaSet[]): Revision[] {
  const uid = deployment.metadata.uid;
  if (!uid) return [];
  const owned = replicasets.filter((rs) => controlledBy(rs, uid));
  const rows = owned.map((rs) => ({
    revision: Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? 0) || 0,
    rs,
    name: rs.metadata.name,
    desired: rs.spec?.replicas ?? 0,
    current: rs.status?.replicas ?? 0,
    ready: rs.status?.readyReplicas ?? 0,
    isCurrent: false,
    images: (rs.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? '').filter(Boolean),
  }));
  rows.sort((a, b) => b.revision - a.revision || a.name.localeCompare(b.name));
  if (rows[0]) rows[0].isCurrent = true;
  return rows;
}

/** Pods controlled by any of the given ReplicaSets. */
export function podsOf(revisions: readonly Revision[], pods: readonly Pod[]): Pod[] {
  const uids = new Set(revisions.map((r) => r.rs.metadata.uid).filter(Boolean) as string[]);
  return pods.filter((p) => p.metadata.ownerReferences?.some((o) => o.controller && uids.has(o.uid)));
}

export interface RolloutState {
  done: boolean;
  message: string;
}

/** `kubectl rollout status` (polymorphichelpers/rollout_status.go), from the Deployment alone. */
export function rolloutStatus(d: Deployment): RolloutState {
  const name = d.metadata.name;
  const s = d.status ?? {};
  if (
    (d.metadata.generation as number | undefined) !== undefined &&
    (s.observedGeneration ?? 0) < (d.metadata.generation as number)
  )
    return { done: false, message: 'Waiting for the deployment spec update to be observed…' };
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return { done: false, message: `Deployment "${name}" exceeded its progress deadline` };
  const desired = d.spec?.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  const replicas = s.replicas ?? 0;
  const available = s.availableReplicas ?? 0;
  if (updated < desired)
    return {
      done: false,
      message: `Waiting for rollout to finish: ${updated} out of ${desired} new replicas have been updated…`,
    };
  if (replicas > updated)
    return {
      done: false,
      message: `Waiting for rollout to finish: ${replicas - updated} old replicas are pending termination…`,
    };
  if (available < updated)
    return {
      done: false,
      message: `Waiting for rollout to finish: ${available} of ${updated} updated replicas are available…`,
    };
  return { done: true, message: `deployment "${name}" successfully rolled out` };
}
