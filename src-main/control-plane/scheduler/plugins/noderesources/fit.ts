// NodeResourcesFit: the pod's CPU and memory requests, and one more pod, must fit in the node's
// allocatable minus what pods already on it (bound or assumed) request. Its score is the
// LeastAllocated strategy: nodes with more room left score higher, spreading load.
import { SUCCESS, unschedulable } from '../../framework/status';
import type { PluginFactory } from '../../framework/types';
import { MAX_NODE_SCORE } from '../../framework/types';
import type { NodeInfo } from '../../internal/node-info';
import type { PodInfo } from '../../internal/pod-info';

export const NAME = 'NodeResourcesFit';

export function fitReasons(pod: PodInfo, node: NodeInfo): string[] {
  const reasons: string[] = [];
  const a = node.allocatable;
  if (node.pods.size + 1 > a.pods) reasons.push('Too many pods');
  const r = pod.requests;
  if (r.milliCPU > 0 && r.milliCPU > a.milliCPU - node.requested.milliCPU) reasons.push('Insufficient cpu');
  if (r.memory > 0 && r.memory > a.memory - node.requested.memory) reasons.push('Insufficient memory');
  return reasons;
}

function leastAllocated(requested: number, capacity: number): number {
  if (capacity <= 0 || requested > capacity) return 0;
  return ((capacity - requested) * MAX_NODE_SCORE) / capacity;
}

export const nodeResourcesFit: PluginFactory = {
  name: NAME,
  extensionPoints: ['filter', 'preScore', 'score'],
  weight: 1,
  create: () => ({
    name: NAME,
    events: ['NodeAdd', 'NodeAllocatable', 'AssignedPodDelete'],
    filter(_state, pod, node) {
      const reasons = fitReasons(pod, node);
      return reasons.length === 0 ? SUCCESS : unschedulable(...reasons);
    },
    preScore: () => SUCCESS,
    score(_state, pod, node) {
      const cpu = leastAllocated(
        node.nonZeroRequested.milliCPU + pod.nonZeroRequests.milliCPU,
        node.allocatable.milliCPU,
      );
      const mem = leastAllocated(
        node.nonZeroRequested.memory + pod.nonZeroRequests.memory,
        node.allocatable.memory,
      );
      return Math.floor((cpu + mem) / 2);
    },
  }),
};
