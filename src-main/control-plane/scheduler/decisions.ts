// The scheduler's memory of why: for each recent pod, the last attempt's per-node filter verdicts
// and per-plugin scores. Kept as the raw arrays the cycle produced and shaped into a table only
// when someone asks (the UI, a test), so recording costs nothing per node at scheduling time.
import type { CycleResult } from './scheduling-cycle';

export interface NodeVerdict {
  node: string;
  /** 'passed', or the first filter that rejected the node with its reasons. */
  filter: 'passed' | { plugin: string; code: string; reasons: string[] };
  /** Normalized score (0–100) per score plugin, for feasible nodes. */
  scores?: Record<string, number>;
  /** Weighted sum of the scores. */
  total?: number;
}

export interface SchedulingDecision {
  podUid: string;
  pod: string;
  time: string;
  attempt: number;
  outcome: 'Scheduled' | 'Unschedulable' | 'BindingFailed' | 'Pending';
  node?: string;
  message: string;
  numAllNodes: number;
  /** Plugins that scored, with their weights. */
  scorePlugins: { name: string; weight: number }[];
  /** Set when a pre-filter plugin rejected the pod before any node was looked at. */
  preFilter?: { plugin: string; reasons: string[] };
  /** Every node looked at; filtering stops once enough feasible nodes are found on big clusters. */
  nodes: NodeVerdict[];
}

/** What is kept of a cycle: no node objects or per-cycle plugin state, only names and numbers. */
type Kept = Pick<
  CycleResult,
  'numAllNodes' | 'evaluated' | 'nodeStatuses' | 'preFilterStatus' | 'score' | 'chosen'
> & {
  pod: { uid: string; key: string };
  feasible: { name: string }[];
};

function keep(r: CycleResult): Kept {
  return {
    pod: { uid: r.pod.uid, key: r.pod.key },
    numAllNodes: r.numAllNodes,
    evaluated: r.evaluated,
    nodeStatuses: r.nodeStatuses,
    preFilterStatus: r.preFilterStatus,
    score: r.score,
    chosen: r.chosen,
    feasible: r.feasible.map((n) => ({ name: n.name })),
  };
}

interface Entry {
  result: Kept;
  time: string;
  attempt: number;
  outcome: SchedulingDecision['outcome'];
  message: string;
}

export function buildDecision(e: Entry): SchedulingDecision {
  const r = e.result;
  const feasibleIndex = new Map(r.feasible.map((n, i) => [n.name, i]));
  const score = r.score;
  const nodes: NodeVerdict[] = r.evaluated.map((name) => {
    const i = feasibleIndex.get(name);
    if (i === undefined || !score) {
      const s = r.nodeStatuses.get(name);
      return {
        node: name,
        filter: s ? { plugin: s.plugin ?? '', code: s.code, reasons: [...s.reasons] } : 'passed',
      };
    }
    const scores: Record<string, number> = {};
    score.plugins.forEach((p, k) => (scores[p] = score.perPlugin[k]?.[i] ?? 0));
    return { node: name, filter: 'passed', scores, total: score.totals[i] ?? 0 };
  });
  if (r.evaluated.length === 0) {
    for (const [name, s] of r.nodeStatuses)
      nodes.push({ node: name, filter: { plugin: s.plugin ?? '', code: s.code, reasons: [...s.reasons] } });
  }
  return {
    podUid: r.pod.uid,
    pod: r.pod.key,
    time: e.time,
    attempt: e.attempt,
    outcome: e.outcome,
    node: r.chosen !== undefined ? r.feasible[r.chosen]?.name : undefined,
    message: e.message,
    numAllNodes: r.numAllNodes,
    scorePlugins: score ? score.plugins.map((name, k) => ({ name, weight: score.weights[k] ?? 1 })) : [],
    preFilter: r.preFilterStatus
      ? { plugin: r.preFilterStatus.plugin ?? '', reasons: [...r.preFilterStatus.reasons] }
      : undefined,
    nodes,
  };
}

/** A bounded most-recently-used store of decisions by pod uid. */
export class DecisionLog {
  private readonly entries = new Map<string, Entry>();
  // ~30 KB per entry on a 5,000-node cluster (500 nodes evaluated), a few hundred bytes on a small one.
  constructor(private readonly capacity = 1000) {}

  record(result: CycleResult, entry: Omit<Entry, 'result'>): void {
    const uid = result.pod.uid;
    this.entries.delete(uid);
    this.entries.set(uid, { ...entry, result: keep(result) });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** Updates the outcome of the last attempt (binding finished or failed). */
  settle(uid: string, outcome: SchedulingDecision['outcome'], message: string): void {
    const e = this.entries.get(uid);
    if (e) {
      e.outcome = outcome;
      e.message = message;
    }
  }

  get(uid: string): SchedulingDecision | undefined {
    const e = this.entries.get(uid);
    return e ? buildDecision(e) : undefined;
  }

  forget(uid: string): void {
    this.entries.delete(uid);
  }
}

const logs = new Set<DecisionLog>();

export function registerDecisionLog(log: DecisionLog): () => void {
  logs.add(log);
  return () => logs.delete(log);
}

/** The last scheduling decision for a pod, from any scheduler running in this process. */
export function lastDecision(podUid: string): SchedulingDecision | undefined {
  for (const log of logs) {
    const d = log.get(podUid);
    if (d) return d;
  }
  return undefined;
}

/** "(score 187; next: node-1 164, node-3 150)": the chosen node's total against the two best others. */
export function scoreSummary(r: CycleResult): string {
  if (!r.score || r.chosen === undefined) return '';
  const totals = r.score.totals;
  const chosen = Math.round(totals[r.chosen] ?? 0);
  const others: { name: string; total: number }[] = [];
  for (let i = 0; i < r.feasible.length; i++) {
    if (i === r.chosen) continue;
    const t = totals[i] ?? 0;
    // Keep only the best two without sorting every feasible node.
    if (others.length < 2) others.push({ name: r.feasible[i]?.name ?? '', total: t });
    else if (t > Math.min(others[0]?.total ?? 0, others[1]?.total ?? 0)) {
      const k = (others[0]?.total ?? 0) <= (others[1]?.total ?? 0) ? 0 : 1;
      others[k] = { name: r.feasible[i]?.name ?? '', total: t };
    }
  }
  others.sort((a, b) => b.total - a.total || (a.name < b.name ? -1 : 1));
  if (others.length === 0)
    return `(score ${chosen}; the only feasible node of ${r.evaluated.length} evaluated)`;
  return `(score ${chosen}; next: ${others.map((o) => `${o.name} ${Math.round(o.total)}`).join(', ')})`;
}
