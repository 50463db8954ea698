// Helpers over core/v1 Node, coordination/v1 Lease and the pod scheduling fields that the node
// controllers (lifecycle, IPAM) and the DaemonSet controller read. The shapes are shared/kube/objects'
// (re-exported here for existing imports); objects come from informer caches and are never mutated.
import type { Node, NodeCondition, Pod, SchedulingSpec } from '../../../shared/kube/objects';

export type {
  Lease,
  Node,
  NodeAffinity,
  NodeCondition,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  SchedulingSpec,
  Taint,
  TaintEffect,
  Toleration,
} from '../../../shared/kube/objects';

export function schedulingSpec(pod: Pod): SchedulingSpec {
  return (pod.spec ?? {}) as SchedulingSpec;
}

export function nodeCondition(node: Node, type: string): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === type);
}

/** Kubernetes timestamps have second precision (`2024-01-02T03:04:05Z`). */
export function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function parseTime(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : undefined;
}
