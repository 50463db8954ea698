// Deployments, ReplicaSets and DaemonSets as rows with rollout progress.
import { compareValues, timestampMs } from '../../lib/format';
import type { Workload } from '../../lib/kube-types';
import type { Tone } from '../../lib/tone';

export interface WorkloadRow {
  key: string;
  name: string;
  namespace: string;
  desired: number;
  ready: number;
  updated: number;
  available: number;
  owner: string;
  tone: Tone;
  state: string;
  created: number;
  obj: Workload;
}

export function workloadState(
  desired: number,
  ready: number,
  updated: number,
  available: number,
): { tone: Tone; state: string } {
  if (desired === 0) return { tone: 'neutral', state: 'Scaled to zero' };
  if (available >= desired && updated >= desired && ready >= desired)
    return { tone: 'good', state: 'Available' };
  if (updated < desired) return { tone: 'progress', state: 'Rolling out' };
  return { tone: 'progress', state: 'Starting' };
}

export function deploymentRow(d: Workload, kind: 'Deployment' | 'ReplicaSet' | 'DaemonSet'): WorkloadRow {
  const s = d.status ?? {};
  const desired = kind === 'DaemonSet' ? (s.desiredNumberScheduled ?? 0) : (d.spec?.replicas ?? 1);
  const ready = kind === 'DaemonSet' ? (s.numberReady ?? 0) : (s.readyReplicas ?? 0);
  const updated =
    kind === 'DaemonSet'
      ? (s.updatedNumberScheduled ?? 0)
      : kind === 'ReplicaSet'
        ? (s.replicas ?? 0)
        : (s.updatedReplicas ?? 0);
  const available = kind === 'DaemonSet' ? (s.numberAvailable ?? 0) : (s.availableReplicas ?? 0);
  const owner = d.metadata.ownerReferences?.find((o) => o.controller)?.name ?? '';
  return {
    key: d.metadata.uid ?? `${d.metadata.namespace}/${d.metadata.name}`,
    name: d.metadata.name,
    namespace: d.metadata.namespace ?? 'default',
    desired,
    ready,
    updated,
    available,
    owner,
    ...workloadState(desired, ready, updated, available),
    created: timestampMs(d.metadata.creationTimestamp),
    obj: d,
  };
}

export function workloadRows(
  items: readonly Workload[],
  kind: 'Deployment' | 'ReplicaSet' | 'DaemonSet',
): WorkloadRow[] {
  return items
    .map((d) => deploymentRow(d, kind))
    .sort((a, b) => compareValues(a.namespace, b.namespace) || compareValues(a.name, b.name));
}
