// TaintToleration: NoSchedule and NoExecute taints the pod does not tolerate rule a node out;
// PreferNoSchedule taints it does not tolerate lower the node's score.
import { SUCCESS, unresolvable } from '../../framework/status';
import type { Toleration } from '../../../../shared/kube/objects';
import type { PluginFactory } from '../../framework/types';
import { MAX_NODE_SCORE } from '../../framework/types';
import { firstUntolerated, formatTaint, toleratedBy } from '../../internal/taints';
import { normalizeToMax } from '../normalize';

export const NAME = 'TaintToleration';
const KEY = `${NAME}/preferNoScheduleTolerations`;

export const taintToleration: PluginFactory = {
  name: NAME,
  extensionPoints: ['filter', 'preScore', 'score'],
  weight: 3,
  create: () => ({
    name: NAME,
    events: ['NodeAdd', 'NodeTaint'],
    filter(_state, pod, node) {
      if (node.taints.length === 0) return SUCCESS;
      const taint = firstUntolerated(node.taints, pod.pod.spec.tolerations ?? [], [
        'NoSchedule',
        'NoExecute',
      ]);
      return taint ? unresolvable(`node(s) had untolerated taint ${formatTaint(taint)}`) : SUCCESS;
    },
    preScore(state, pod) {
      const tolerations = pod.pod.spec.tolerations ?? [];
      state.write(
        KEY,
        tolerations.filter((t) => !t.effect || t.effect === 'PreferNoSchedule'),
      );
      return SUCCESS;
    },
    score(state, _pod, node) {
      if (node.taints.length === 0) return 0;
      let count = 0;
      const tolerations = state.read<Toleration[]>(KEY) ?? [];
      for (const taint of node.taints) {
        if (taint.effect === 'PreferNoSchedule' && !toleratedBy(taint, tolerations)) count++;
      }
      return count;
    },
    normalizeScore(_state, _pod, scores) {
      normalizeToMax(scores, MAX_NODE_SCORE, true);
    },
  }),
};
