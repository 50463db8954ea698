// PodTopologySpread: keeps matching pods evenly spread over topology domains (nodes, zones).
// DoNotSchedule constraints filter: placing the pod must not make its domain exceed the emptiest
// eligible domain by more than maxSkew. ScheduleAnyway constraints — and, for a pod with no
// constraints, the default spread of its workload (pods with the same controller owner) over
// hostnames (maxSkew 3) and zones (maxSkew 5) — score: fewer matching pods, better node.
import { labelSelectorFromObject, matchesLabels } from '../../../../shared/labels';
import type { LabelSelector } from '../../../../shared/labels';
import { LABEL_HOSTNAME, LABEL_ZONE } from '../../api-types';
import type { TopologySpreadConstraint } from '../../../../shared/kube/objects';
import { SKIP, SUCCESS, unresolvable, unschedulable } from '../../framework/status';
import type { CycleState, FrameworkHandle, PluginFactory } from '../../framework/types';
import { MAX_NODE_SCORE } from '../../framework/types';
import type { NodeInfo } from '../../internal/node-info';
import { nodeSelectorAndAffinityMatch } from '../../../../shared/kube/node-selectors';
import type { PodInfo } from '../../internal/pod-info';
import { firstUntolerated } from '../../internal/taints';

export const NAME = 'PodTopologySpread';
export const REASON_SKEW = "node(s) didn't match pod topology spread constraints";
export const REASON_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)";

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  minDomains: number;
  nodeAffinityPolicy: 'Honor' | 'Ignore';
  nodeTaintsPolicy: 'Honor' | 'Ignore';
  /** Either a label selector in the pod's namespace, or (default spread) the pod's owner. */
  selector?: LabelSelector;
  ownerUid?: string;
}

interface FilterState {
  constraints: Constraint[];
  /** Per constraint: matching pods per domain value, and the minimum over eligible domains. */
  counts: Map<string, number>[];
  minMatch: number[];
  selfMatch: number[];
}

interface ScoreState {
  constraints: Constraint[];
  /** Per constraint: matching pods per domain; undefined for hostname (counted per node). */
  counts: (Map<string, number> | undefined)[];
  weights: number[];
}

const FILTER_KEY = `${NAME}/filter`;
const SCORE_KEY = `${NAME}/score`;

function toConstraints(pod: PodInfo, list: TopologySpreadConstraint[]): Constraint[] {
  return list.map((c) => {
    let selector: LabelSelector;
    try {
      selector = labelSelectorFromObject(c.labelSelector);
      // matchLabelKeys: the pod's own values for those keys narrow the selector (e.g. pod-template-hash).
      for (const key of c.matchLabelKeys ?? []) {
        const v = pod.labels[key];
        if (v !== undefined)
          selector = { requirements: [...selector.requirements, { key, operator: '=', values: [v] }] };
      }
    } catch {
      selector = { requirements: [], nothing: true };
    }
    return {
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      minDomains: c.minDomains ?? 1,
      nodeAffinityPolicy: c.nodeAffinityPolicy ?? 'Honor',
      nodeTaintsPolicy: c.nodeTaintsPolicy ?? 'Ignore',
      selector,
    };
  });
}

function countOnNode(c: Constraint, pod: PodInfo, node: NodeInfo): number {
  if (c.ownerUid) return node.ownerCounts.get(c.ownerUid) ?? 0;
  let n = 0;
  for (const p of node.pods.values()) {
    if (p.namespace !== pod.namespace || p.pod.metadata.deletionTimestamp) continue;
    if (c.selector && matchesLabels(c.selector, p.labels)) n++;
  }
  return n;
}

function eligible(c: Constraint, pod: PodInfo, node: NodeInfo): boolean {
  if (c.nodeAffinityPolicy === 'Honor' && !nodeSelectorAndAffinityMatch(pod.pod.spec, node)) return false;
  if (c.nodeTaintsPolicy === 'Honor') {
    if (firstUntolerated(node.taints, pod.pod.spec.tolerations ?? [], ['NoSchedule', 'NoExecute']))
      return false;
  }
  return true;
}

function hasAllKeys(node: NodeInfo, constraints: Constraint[]): boolean {
  for (const c of constraints) if (node.labels[c.topologyKey] === undefined) return false;
  return true;
}

function filterState(handle: FrameworkHandle, pod: PodInfo, constraints: Constraint[]): FilterState {
  const counts = constraints.map(() => new Map<string, number>());
  for (const node of handle.nodes()) {
    if (!hasAllKeys(node, constraints)) continue;
    constraints.forEach((c, i) => {
      if (!eligible(c, pod, node)) return;
      const domain = node.labels[c.topologyKey] as string;
      const m = counts[i] as Map<string, number>;
      m.set(domain, (m.get(domain) ?? 0) + countOnNode(c, pod, node));
    });
  }
  const minMatch = constraints.map((c, i) => {
    const m = counts[i] as Map<string, number>;
    if (m.size < c.minDomains) return 0; // too few domains: the missing ones count as empty
    let min = Infinity;
    for (const v of m.values()) min = Math.min(min, v);
    return Number.isFinite(min) ? min : 0;
  });
  const selfMatch = constraints.map((c) => (c.selector && matchesLabels(c.selector, pod.labels) ? 1 : 0));
  return { constraints, counts, minMatch, selfMatch };
}

export const podTopologySpread: PluginFactory = {
  name: NAME,
  extensionPoints: ['preFilter', 'filter', 'preScore', 'score'],
  weight: 2,
  create: (ctx) => ({
    name: NAME,
    events: [
      'NodeAdd',
      'NodeLabel',
      'NodeDelete',
      'AssignedPodAdd',
      'AssignedPodUpdate',
      'AssignedPodDelete',
    ],
    preFilter(state: CycleState, pod) {
      const hard = (pod.pod.spec.topologySpreadConstraints ?? []).filter(
        (c) => c.whenUnsatisfiable === 'DoNotSchedule',
      );
      if (hard.length === 0) return { status: SKIP };
      state.write(FILTER_KEY, filterState(ctx.handle, pod, toConstraints(pod, hard)));
      return { status: SUCCESS };
    },
    filter(state, _pod, node) {
      const s = state.read<FilterState>(FILTER_KEY);
      if (!s) return SUCCESS;
      for (let i = 0; i < s.constraints.length; i++) {
        const c = s.constraints[i] as Constraint;
        const domain = node.labels[c.topologyKey];
        if (domain === undefined) return unresolvable(REASON_LABEL);
        const count = (s.counts[i] as Map<string, number>).get(domain) ?? 0;
        const skew = count + (s.selfMatch[i] as number) - (s.minMatch[i] as number);
        if (skew > c.maxSkew) return unschedulable(REASON_SKEW);
      }
      return SUCCESS;
    },
    preScore(state, pod, nodes) {
      const all = pod.pod.spec.topologySpreadConstraints ?? [];
      let constraints: Constraint[];
      if (all.length > 0) {
        const soft = all.filter((c) => c.whenUnsatisfiable === 'ScheduleAnyway');
        if (soft.length === 0) return SKIP;
        constraints = toConstraints(pod, soft);
      } else {
        if (!pod.ownerUid) return SKIP;
        const base = {
          minDomains: 1,
          nodeAffinityPolicy: 'Honor',
          nodeTaintsPolicy: 'Ignore',
          ownerUid: pod.ownerUid,
        } as const;
        constraints = [{ ...base, maxSkew: 3, topologyKey: LABEL_HOSTNAME }];
        if (nodes.some((n) => n.labels[LABEL_ZONE] !== undefined)) {
          constraints.push({ ...base, maxSkew: 5, topologyKey: LABEL_ZONE });
        }
      }
      // Counts over the nodes that passed filtering, by domain. Hostname domains are single nodes:
      // their count is read straight off the node when scoring (the common, hot case).
      const counts: (Map<string, number> | undefined)[] = [];
      const weights: number[] = [];
      for (const c of constraints) {
        if (c.topologyKey === LABEL_HOSTNAME) {
          counts.push(undefined);
          weights.push(Math.log(nodes.length + 2));
          continue;
        }
        const m = new Map<string, number>();
        for (const node of nodes) {
          const domain = node.labels[c.topologyKey];
          if (domain !== undefined) m.set(domain, (m.get(domain) ?? 0) + countOnNode(c, pod, node));
        }
        counts.push(m);
        // More domains weigh more: a skew over many nodes matters less per node than over two zones.
        weights.push(Math.log(m.size + 2));
      }
      state.write(SCORE_KEY, { constraints, counts, weights } satisfies ScoreState);
      return SUCCESS;
    },
    score(state, pod, node) {
      const s = state.read<ScoreState>(SCORE_KEY);
      if (!s) return 0;
      let raw = 0;
      for (let i = 0; i < s.constraints.length; i++) {
        const c = s.constraints[i] as Constraint;
        const m = s.counts[i];
        let count: number;
        if (m === undefined) {
          if (!c.ownerUid && node.labels[c.topologyKey] === undefined) continue;
          count = countOnNode(c, pod, node);
        } else {
          const domain = node.labels[c.topologyKey];
          if (domain === undefined) continue;
          count = m.get(domain) ?? 0;
        }
        raw += (count + c.maxSkew - 1) * (s.weights[i] as number);
      }
      return raw;
    },
    normalizeScore(_state, _pod, scores) {
      // Fewest matching pods → MAX_NODE_SCORE, most → 0, linear between.
      let min = Infinity;
      let max = -Infinity;
      for (const v of scores) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      for (let i = 0; i < scores.length; i++) {
        scores[i] =
          max === min
            ? MAX_NODE_SCORE
            : Math.floor((MAX_NODE_SCORE * (max - (scores[i] as number))) / (max - min));
      }
    },
  }),
};
