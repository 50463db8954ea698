// The parts of core/v1 Node, coordination/v1 Lease and the pod scheduling fields that the node
// controllers (lifecycle, IPAM) and the DaemonSet controller read. Objects come from informer caches:
// these shapes are read-only views, never mutated.
import type { ObjectMeta, Pod } from '../../../shared/kube/objects';
import type { KubeObjectLike } from '../../../shared/kube/types';

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: TaintEffect | '';
  tolerationSeconds?: number;
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export interface Node extends KubeObjectLike {
  metadata: ObjectMeta & { name: string };
  spec?: {
    unschedulable?: boolean;
    taints?: Taint[];
    podCIDR?: string;
    podCIDRs?: string[];
    [field: string]: unknown;
  };
  status?: { conditions?: NodeCondition[]; [field: string]: unknown };
}

export interface Lease extends KubeObjectLike {
  metadata: ObjectMeta;
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; acquireTime?: string };
}

export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] };
  preferredDuringSchedulingIgnoredDuringExecution?: unknown[];
}

/** The scheduling-related part of a pod spec. */
export interface SchedulingSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: { nodeAffinity?: NodeAffinity; [field: string]: unknown };
  tolerations?: Toleration[];
  [field: string]: unknown;
}

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
