// Taints and tolerations (k8s.io/api/core/v1 ToleratesTaint, the taint manager's
// getMinTolerationTime) and the taints the node controllers put on nodes.
import type { Taint, TaintEffect, Toleration } from '../../../shared/kube/objects';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';

export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  // An empty key with operator Exists tolerates every taint (of the effect, if one is given).
  if (t.operator === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

export function toleratedBy(taint: Taint, tolerations: readonly Toleration[] | undefined): boolean {
  return (tolerations ?? []).some((t) => tolerates(t, taint));
}

/** The taints with one of `effects` that no toleration tolerates. */
export function untoleratedTaints(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
  effects: readonly TaintEffect[],
): Taint[] {
  return (taints ?? []).filter((t) => effects.includes(t.effect) && !toleratedBy(t, tolerations));
}

/**
 * How long a pod may stay on a node with `taint`, in seconds: the smallest tolerationSeconds among the
 * tolerations that tolerate it; Infinity when one of them has none (tolerates forever); undefined
 * when nothing tolerates it (evict at once). Negative seconds count as 0, as in Kubernetes.
 */
export function tolerationSecondsFor(
  taint: Taint,
  tolerations: readonly Toleration[] | undefined,
): number | undefined {
  let min: number | undefined;
  for (const t of tolerations ?? []) {
    if (!tolerates(t, taint)) continue;
    const s =
      t.tolerationSeconds === undefined || t.tolerationSeconds === null
        ? Infinity
        : Math.max(0, t.tolerationSeconds);
    min = min === undefined ? s : Math.min(min, s);
  }
  return min;
}

export function sameTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}

export function formatTaint(t: Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}
