// NodeResourcesBalancedAllocation: prefers nodes where CPU and memory would be used in similar
// proportions after placing the pod, so neither runs out while the other sits idle.
import { SUCCESS } from '../../framework/status';
import type { PluginFactory } from '../../framework/types';
import { MAX_NODE_SCORE } from '../../framework/types';

export const NAME = 'NodeResourcesBalancedAllocation';

export const nodeResourcesBalancedAllocation: PluginFactory = {
  name: NAME,
  extensionPoints: ['preScore', 'score'],
  weight: 1,
  create: () => ({
    name: NAME,
    events: ['NodeAdd', 'NodeAllocatable', 'AssignedPodDelete'],
    preScore: () => SUCCESS,
    score(_state, pod, node) {
      const a = node.allocatable;
      if (a.milliCPU <= 0 || a.memory <= 0) return 0;
      const cpu = Math.min(1, (node.nonZeroRequested.milliCPU + pod.nonZeroRequests.milliCPU) / a.milliCPU);
      const mem = Math.min(1, (node.nonZeroRequested.memory + pod.nonZeroRequests.memory) / a.memory);
      // The standard deviation of two fractions is half their difference.
      const std = Math.abs(cpu - mem) / 2;
      return Math.floor((1 - std) * MAX_NODE_SCORE);
    },
  }),
};
