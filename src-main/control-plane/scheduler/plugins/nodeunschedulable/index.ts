// NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods that tolerate
// node.kubernetes.io/unschedulable:NoSchedule (DaemonSet pods do).
import { SUCCESS, unresolvable } from '../../framework/status';
import type { PluginFactory } from '../../framework/types';
import { toleratedBy } from '../../internal/taints';

export const NAME = 'NodeUnschedulable';
export const REASON = 'node(s) were unschedulable';
const TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' } as const;

export const nodeUnschedulable: PluginFactory = {
  name: NAME,
  extensionPoints: ['filter'],
  create: () => ({
    name: NAME,
    events: ['NodeAdd', 'NodeSchedulable'],
    filter(_state, pod, node) {
      if (!node.unschedulable) return SUCCESS;
      return toleratedBy(TAINT, pod.pod.spec.tolerations ?? []) ? SUCCESS : unresolvable(REASON);
    },
  }),
};
