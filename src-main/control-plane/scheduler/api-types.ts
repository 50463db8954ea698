// The core/v1 shapes the scheduler reads, from the one set in shared/kube/objects. Objects arrive as
// plain JSON from informers and are never mutated (informer caches are shared). The scheduler sees only
// stored pods, so its Pod is StoredPod: named, with a uid and a spec.
import type { StoredPod } from '../../shared/kube/objects';

export type {
  Container,
  ContainerPort,
  Node,
  NodeAffinity,
  NodeCondition,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  OwnerReference,
  PodCondition,
  PodSpec,
  PreferredSchedulingTerm,
  ResourceList,
  Taint,
  TaintEffect,
  Toleration,
  TopologySpreadConstraint,
} from '../../shared/kube/objects';
export type Pod = StoredPod;

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';

export function podKey(pod: Pick<Pod, 'metadata'>): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}
