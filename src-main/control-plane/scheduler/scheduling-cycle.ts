// One scheduling attempt for one pod (schedulePod in kube-scheduler): pre-filter, filter nodes
// until enough feasible ones are found, score them, pick the best. Synchronous over the cache.
import { fitErrorMessage } from './framework/fit-error';
import type { Framework, ScoreOutcome } from './framework/framework';
import type { Status } from './framework/status';
import { CycleState } from './framework/types';
import type { SchedulerCache } from './internal/cache';
import type { NodeInfo } from './internal/node-info';
import type { PodInfo } from './internal/pod-info';

export interface CycleResult {
  pod: PodInfo;
  state: CycleState;
  numAllNodes: number;
  /** Nodes that were looked at, in order (filtering stops once enough feasible nodes are found). */
  evaluated: string[];
  /** Why each rejected node was rejected. */
  nodeStatuses: Map<string, Status>;
  preFilterStatus?: Status;
  feasible: NodeInfo[];
  score?: ScoreOutcome;
  /** Index into feasible of the chosen node. */
  chosen?: number;
  /** The FailedScheduling summary when no node fits. */
  fitError?: string;
  /** Plugins that rejected the pod somewhere: their cluster events may help it later. */
  rejectors: Set<string>;
}

export interface CycleOptions {
  /** Percentage of nodes to find feasible before scoring (0 = adaptive, as in Kubernetes). */
  percentageOfNodesToScore?: number;
  random?: () => number;
}

const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE = 5;

/** numFeasibleNodesToFind: all nodes below 100; otherwise 50% − nodes/125 (at least 5%), at least 100. */
export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND || percentage >= 100) return numAllNodes;
  let p = percentage;
  if (p <= 0) p = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE, 50 - numAllNodes / 125);
  const n = Math.floor((numAllNodes * p) / 100);
  return Math.max(n, MIN_FEASIBLE_NODES_TO_FIND);
}

export class SchedulingAlgorithm {
  /** Where the next pod starts looking, so consecutive pods do not all crowd the first nodes. */
  private nextStartNodeIndex = 0;

  constructor(
    private readonly framework: Framework,
    private readonly cache: SchedulerCache,
    private readonly options: CycleOptions = {},
  ) {}

  schedule(pod: PodInfo): CycleResult {
    const state = new CycleState();
    const all = this.cache.nodes();
    const result: CycleResult = {
      pod,
      state,
      numAllNodes: all.length,
      evaluated: [],
      nodeStatuses: new Map(),
      feasible: [],
      rejectors: new Set(),
    };
    const pre = this.framework.runPreFilter(state, pod);
    if (pre.status.code !== 'Success') {
      result.preFilterStatus = pre.status;
      if (pre.status.plugin) result.rejectors.add(pre.status.plugin);
      for (const n of all) result.nodeStatuses.set(n.name, pre.status);
      result.fitError = fitErrorMessage({
        numAllNodes: all.length,
        preFilterMessage: pre.status.reasons.join(', '),
        nodeStatuses: result.nodeStatuses,
        postFilterMessage: undefined,
      });
      return result;
    }

    let candidates: readonly NodeInfo[] = all;
    if (pre.nodeNames)
      candidates = [...pre.nodeNames].map((n) => this.cache.nodeInfo(n)).filter((n): n is NodeInfo => !!n);
    const wanted = numFeasibleNodesToFind(candidates.length, this.options.percentageOfNodesToScore);
    const n = candidates.length;
    const start = pre.nodeNames ? 0 : this.nextStartNodeIndex % Math.max(1, n);
    let processed = 0;
    const filters = this.framework.activeFilters(pre.skipped);
    for (; processed < n && result.feasible.length < wanted; processed++) {
      const node = candidates[(start + processed) % n] as NodeInfo;
      result.evaluated.push(node.name);
      const s = this.framework.runFilter(state, pod, node, filters);
      if (s.code === 'Success') result.feasible.push(node);
      else {
        result.nodeStatuses.set(node.name, s);
        if (s.plugin) result.rejectors.add(s.plugin);
      }
    }
    if (!pre.nodeNames && n > 0) this.nextStartNodeIndex = (start + processed) % n;

    if (result.feasible.length === 0) {
      // Nodes the pre-filter ruled out by name get their reasons from the filters, so the summary
      // reads the same as without the shortcut.
      if (pre.nodeNames) {
        for (const node of all) {
          if (result.nodeStatuses.has(node.name) || pre.nodeNames.has(node.name)) continue;
          const s = this.framework.runFilter(state, pod, node, new Set());
          if (s.code !== 'Success') {
            result.nodeStatuses.set(node.name, s);
            if (s.plugin) result.rejectors.add(s.plugin);
          }
        }
      }
      const post = this.framework.runPostFilter(state, pod, result.nodeStatuses, all.length);
      result.fitError = fitErrorMessage({
        numAllNodes: all.length,
        nodeStatuses: result.nodeStatuses,
        postFilterMessage: post,
      });
      return result;
    }

    const preScore = this.framework.runPreScore(state, pod, result.feasible);
    result.score = this.framework.runScore(state, pod, result.feasible, preScore.skipped);
    result.chosen = selectHost(result.score.totals, this.options.random ?? Math.random);
    return result;
  }
}

/** The highest total wins; ties are broken uniformly at random (reservoir sampling). */
export function selectHost(totals: Float64Array, random: () => number): number {
  let best = 0;
  let ties = 1;
  for (let i = 1; i < totals.length; i++) {
    const t = totals[i] as number;
    const b = totals[best] as number;
    if (t > b) {
      best = i;
      ties = 1;
    } else if (t === b) {
      ties++;
      if (random() * ties < 1) best = i;
    }
  }
  return best;
}
