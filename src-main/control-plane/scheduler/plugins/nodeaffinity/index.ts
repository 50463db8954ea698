// NodeAffinity: the pod's nodeSelector and required node affinity as a filter; preferred node
// affinity terms as a score (the sum of the weights of the terms a node matches).
import { SKIP, SUCCESS, unresolvable } from '../../framework/status';
import type { PluginFactory } from '../../framework/types';
import { MAX_NODE_SCORE } from '../../framework/types';
import { nodeSelectorMatches, requiredTermsMatch, termMatches } from '../../../../shared/kube/node-selectors';
import { normalizeToMax } from '../normalize';

export const NAME = 'NodeAffinity';
export const REASON = "node(s) didn't match Pod's node affinity/selector";

export const nodeAffinity: PluginFactory = {
  name: NAME,
  extensionPoints: ['preFilter', 'filter', 'preScore', 'score'],
  weight: 2,
  create: () => ({
    name: NAME,
    events: ['NodeAdd', 'NodeLabel'],
    preFilter(_state, pod) {
      const spec = pod.pod.spec;
      const hasSelector = spec.nodeSelector && Object.keys(spec.nodeSelector).length > 0;
      const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
      if (!hasSelector && !required) return { status: SKIP };
      // Terms that only name nodes by metadata.name narrow the nodes to look at.
      const terms = required?.nodeSelectorTerms ?? [];
      const names = new Set<string>();
      let onlyNames = terms.length > 0;
      for (const t of terms) {
        const f = t.matchFields ?? [];
        const byName = f.length === 1 && f[0]?.key === 'metadata.name' && f[0].operator === 'In';
        if (!byName) onlyNames = false;
        else for (const v of f[0]?.values ?? []) names.add(v);
      }
      return { status: SUCCESS, result: onlyNames ? { nodeNames: names } : undefined };
    },
    filter(_state, pod, node) {
      const spec = pod.pod.spec;
      const ok =
        nodeSelectorMatches(spec.nodeSelector, node) && requiredTermsMatch(spec.affinity?.nodeAffinity, node);
      return ok ? SUCCESS : unresolvable(REASON);
    },
    preScore(_state, pod) {
      const preferred = pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
      return preferred && preferred.length > 0 ? SUCCESS : SKIP;
    },
    score(_state, pod, node) {
      let sum = 0;
      for (const p of pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ??
        []) {
        if (p.weight && termMatches(p.preference, node)) sum += p.weight;
      }
      return sum;
    },
    normalizeScore(_state, _pod, scores) {
      normalizeToMax(scores, MAX_NODE_SCORE, false);
    },
  }),
};
