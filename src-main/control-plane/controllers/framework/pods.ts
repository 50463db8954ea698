// Pod facts the workload controllers share (k8s.io/kubernetes/pkg/api/v1/pod and controller_utils).
import type { Pod } from '../../../shared/kube/objects';

export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** Counts toward a workload's replicas: not finished and not being deleted. */
export function isPodActive(pod: Pod): boolean {
  return !isPodTerminal(pod) && !pod.metadata.deletionTimestamp;
}

export function podReadyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: Pod): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/** Ready for at least minReadySeconds at `nowMs` (podutil.IsPodAvailable). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  const ready = podReadyCondition(pod);
  if (ready?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= nowMs;
}

/** When a ready pod that is not yet available will become available, in ms from now (or undefined). */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, nowMs: number): number | undefined {
  const ready = podReadyCondition(pod);
  if (ready?.status !== 'True' || !minReadySeconds || !ready.lastTransitionTime) return undefined;
  const at = Date.parse(ready.lastTransitionTime) + minReadySeconds * 1000;
  return at > nowMs ? at - nowMs : undefined;
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function restarts(pod: Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, c) => Math.max(n, c.restartCount ?? 0), 0);
}

function time(value: string | undefined): number {
  const t = value ? Date.parse(value) : NaN;
  return Number.isFinite(t) ? t : 0;
}

/**
 * Orders pods so that the ones to delete first come first (controller.ActivePods): unscheduled before
 * scheduled, Pending before Unknown before Running, not ready before ready, ready for less time before
 * longer, more restarts before fewer, newer before older.
 */
export function compareForDeletion(a: Pod, b: Pod): number {
  const scheduled = Number(Boolean(a.spec?.nodeName)) - Number(Boolean(b.spec?.nodeName));
  if (scheduled) return scheduled;
  const phase =
    (PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0) - (PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0);
  if (phase) return phase;
  const ready = Number(isPodReady(a)) - Number(isPodReady(b));
  if (ready) return ready;
  if (isPodReady(a) && isPodReady(b)) {
    const since =
      time(podReadyCondition(b)?.lastTransitionTime) - time(podReadyCondition(a)?.lastTransitionTime);
    if (since) return since;
  }
  const r = restarts(b) - restarts(a);
  if (r) return r;
  return time(b.metadata.creationTimestamp) - time(a.metadata.creationTimestamp);
}

/**
 * A pod that is ready but not yet available becomes available without any event: the requeue that
 * looks again just after the first of `pods` does (undefined when none is waiting).
 */
export function requeueForAvailability(
  pods: readonly Pod[],
  minReadySeconds: number,
  nowMs: number,
): { requeueAfterMs: number } | undefined {
  let soonest: number | undefined;
  for (const pod of pods) {
    const ms = msUntilAvailable(pod, minReadySeconds, nowMs);
    if (ms !== undefined && (soonest === undefined || ms < soonest)) soonest = ms;
  }
  return soonest !== undefined ? { requeueAfterMs: soonest + 50 } : undefined;
}
