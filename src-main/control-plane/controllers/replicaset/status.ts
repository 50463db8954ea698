// ReplicaSet status from the pods it owns (pure; replica_set_utils.go calculateStatus).
import type { Pod, ReplicaSet } from '../../../shared/kube/objects';
import { isPodAvailable, isPodReady } from '../framework/pods';

export type ReplicaSetStatus = NonNullable<ReplicaSet['status']>;

export function calculateReplicaSetStatus(
  rs: ReplicaSet,
  pods: readonly Pod[],
  nowMs: number,
  manageError?: { reason: 'FailedCreate' | 'FailedDelete'; message: string },
): ReplicaSetStatus {
  const templateLabels = rs.spec.template?.metadata?.labels ?? {};
  const minReady = rs.spec.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    const labels = pod.metadata.labels ?? {};
    if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, nowMs)) available++;
    }
  }
  let conditions = (rs.status?.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure');
  if (manageError) {
    const existing = rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
    conditions = [
      ...conditions,
      {
        type: 'ReplicaFailure',
        status: 'True',
        reason: manageError.reason,
        message: manageError.message,
        lastTransitionTime:
          existing?.status === 'True'
            ? existing.lastTransitionTime
            : new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
    ];
  }
  const status: ReplicaSetStatus = {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata.generation ?? 0,
  };
  if (conditions.length) status.conditions = conditions;
  return status;
}
