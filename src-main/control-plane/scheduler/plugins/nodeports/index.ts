// NodePorts: a pod asking for a host port fits only on nodes where no other pod holds that
// port/protocol on an overlapping address (0.0.0.0 overlaps every address).
import { SKIP, SUCCESS, unschedulable } from '../../framework/status';
import type { PluginFactory } from '../../framework/types';

export const NAME = 'NodePorts';
export const REASON = "node(s) didn't have free ports for the requested pod ports";

export const nodePorts: PluginFactory = {
  name: NAME,
  extensionPoints: ['preFilter', 'filter'],
  create: () => ({
    name: NAME,
    events: ['NodeAdd', 'AssignedPodDelete'],
    preFilter(_state, pod) {
      return { status: pod.hostPorts.length === 0 ? SKIP : SUCCESS };
    },
    filter(_state, pod, node) {
      for (const hp of pod.hostPorts) if (node.portInUse(hp)) return unschedulable(REASON);
      return SUCCESS;
    },
  }),
};
