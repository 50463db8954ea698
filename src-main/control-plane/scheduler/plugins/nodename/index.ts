// NodeName: a pod that names its node fits only there.
import { SKIP, SUCCESS, unresolvable } from '../../framework/status';
import type { PluginFactory } from '../../framework/types';

export const NAME = 'NodeName';
export const REASON = "node(s) didn't match the requested node name";

export const nodeName: PluginFactory = {
  name: NAME,
  extensionPoints: ['preFilter', 'filter'],
  create: () => ({
    name: NAME,
    events: ['NodeAdd'],
    preFilter(_state, pod) {
      const wanted = pod.pod.spec.nodeName;
      if (!wanted) return { status: SKIP };
      return { status: SUCCESS, result: { nodeNames: new Set([wanted]) } };
    },
    filter(_state, pod, node) {
      const wanted = pod.pod.spec.nodeName;
      return !wanted || wanted === node.name ? SUCCESS : unresolvable(REASON);
    },
  }),
};
