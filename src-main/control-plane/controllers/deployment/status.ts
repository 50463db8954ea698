// Deployment status and conditions (pure; deployment/sync.go calculateStatus, progress.go). These
// are exactly what `kubectl rollout status` reads: observedGeneration, updated/available replicas and
// the Progressing condition's reason.
import type { Deployment, DeploymentCondition, ReplicaSet } from '../../../shared/kube/objects';
import {
  hasProgressDeadline,
  maxUnavailable,
  progressDeadlineSeconds,
  REASON_MIN_AVAILABLE,
  REASON_MIN_UNAVAILABLE,
  REASON_NEW_RS_AVAILABLE,
  REASON_RS_UPDATED,
  REASON_TIMED_OUT,
  replicasOf,
} from './util';

export type DeploymentStatus = NonNullable<Deployment['status']>;

export function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function getCondition(
  status: DeploymentStatus | undefined,
  type: string,
): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function newCondition(
  type: string,
  status: DeploymentCondition['status'],
  reason: string,
  message: string,
  nowMs: number,
): DeploymentCondition {
  const t = timestamp(nowMs);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

/**
 * Sets a condition on `status` (mutating the copy it is given). An identical status+reason is left
 * alone; a change of reason under the same status keeps lastTransitionTime.
 */
export function setCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const current = getCondition(status, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  if (current && current.status === cond.status)
    cond = { ...cond, lastTransitionTime: current.lastTransitionTime };
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), cond];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
  if (status.conditions.length === 0) delete status.conditions;
}

const sum = (rsList: readonly (ReplicaSet | undefined)[], f: (rs: ReplicaSet) => number | undefined) =>
  rsList.reduce((n, rs) => n + (rs ? (f(rs) ?? 0) : 0), 0);

export function calculateStatus(
  d: Deployment,
  allRSs: readonly ReplicaSet[],
  newRS: ReplicaSet | undefined,
  nowMs: number,
): DeploymentStatus {
  const available = sum(allRSs, (rs) => rs.status?.availableReplicas);
  const total = sum(allRSs, (rs) => rs.status?.replicas);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: total,
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: sum(allRSs, (rs) => rs.status?.readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, replicasOf(d) - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions) status.conditions = d.status.conditions.map((c) => ({ ...c }));
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(
      status,
      newCondition('Available', 'True', REASON_MIN_AVAILABLE, 'Deployment has minimum availability.', nowMs),
    );
  } else {
    setCondition(
      status,
      newCondition(
        'Available',
        'False',
        REASON_MIN_UNAVAILABLE,
        'Deployment does not have minimum availability.',
        nowMs,
      ),
    );
  }
  return status;
}

/** Everything asked for is there and available (DeploymentComplete). */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const r = replicasOf(d);
  return (
    s.updatedReplicas === r &&
    s.replicas === r &&
    s.availableReplicas === r &&
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** The new status shows progress over the old one (DeploymentProgressing). */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(s, 'Progressing');
  if (!cond) return false;
  if (cond.reason === REASON_NEW_RS_AVAILABLE) return false;
  if (cond.reason === REASON_TIMED_OUT) return true;
  const from = Date.parse(cond.lastUpdateTime ?? '');
  return Number.isFinite(from) && from + progressDeadlineSeconds(d) * 1000 < nowMs;
}

/**
 * Moves the Progressing condition on (syncRolloutStatus): complete → NewReplicaSetAvailable,
 * progress → ReplicaSetUpdated (keeping the transition time), no progress past the deadline →
 * ProgressDeadlineExceeded. Mutates `s`.
 */
export function updateProgressing(
  d: Deployment,
  s: DeploymentStatus,
  newRS: ReplicaSet | undefined,
  nowMs: number,
): void {
  if (!hasProgressDeadline(d)) {
    removeCondition(s, 'Progressing');
    return;
  }
  const current = getCondition(s, 'Progressing');
  const isComplete = s.replicas === s.updatedReplicas && current?.reason === REASON_NEW_RS_AVAILABLE;
  if (isComplete) return;
  const rsName = newRS?.metadata.name ?? '';
  if (deploymentComplete(d, s)) {
    setCondition(
      s,
      newCondition(
        'Progressing',
        'True',
        REASON_NEW_RS_AVAILABLE,
        `ReplicaSet "${rsName}" has successfully progressed.`,
        nowMs,
      ),
    );
  } else if (deploymentProgressing(d, s)) {
    const cond = newCondition(
      'Progressing',
      'True',
      REASON_RS_UPDATED,
      `ReplicaSet "${rsName}" is progressing.`,
      nowMs,
    );
    if (current?.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
    // Progress always refreshes lastUpdateTime: the deadline counts from the last progress.
    s.conditions = [...(s.conditions ?? []).filter((c) => c.type !== 'Progressing'), cond];
  } else if (deploymentTimedOut(d, s, nowMs)) {
    setCondition(
      s,
      newCondition(
        'Progressing',
        'False',
        REASON_TIMED_OUT,
        `ReplicaSet "${rsName}" has timed out progressing.`,
        nowMs,
      ),
    );
  }
}
