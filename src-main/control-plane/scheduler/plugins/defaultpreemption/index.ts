// DefaultPreemption's explanation, without preemption: after no node fits, says per node whether
// evicting lower-priority pods could have helped, in Kubernetes' words. Flotilla does not preempt,
// so a node where it could have helped is reported as such rather than acted on.
import type { PluginFactory } from '../../framework/types';
import { histogram } from '../../framework/fit-error';

export const NAME = 'DefaultPreemption';
export const NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_VICTIMS = 'No preemption victims found for incoming pod';
export const NOT_SUPPORTED = 'Preemption of lower-priority pods is not supported';

export const defaultPreemption: PluginFactory = {
  name: NAME,
  extensionPoints: ['postFilter'],
  create: (ctx) => ({
    name: NAME,
    postFilter(_state, pod, filtered, numAllNodes) {
      const reasons: string[] = [];
      for (const [name, status] of filtered) {
        if (status.code !== 'Unschedulable') {
          reasons.push(NOT_HELPFUL);
          continue;
        }
        const node = ctx.handle.nodeInfo(name);
        let lower = false;
        if (node) for (const p of node.pods.values()) if (p.priority < pod.priority) lower = true;
        reasons.push(lower ? NOT_SUPPORTED : NO_VICTIMS);
      }
      return `preemption: 0/${numAllNodes} nodes are available: ${histogram(reasons)}.`;
    },
  }),
};
