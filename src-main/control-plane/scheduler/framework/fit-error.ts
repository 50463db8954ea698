// The FailedScheduling summary, word for word as kube-scheduler's FitError prints it:
// "0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu."
// Reasons are counted over nodes and the "<count> <reason>" strings sorted as strings.
import type { Status } from './status';

export function histogram(reasons: Iterable<string>): string {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts].map(([r, n]) => `${n} ${r}`);
  parts.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return parts.join(', ');
}

export interface FitErrorInput {
  numAllNodes: number;
  /** Set when a pre-filter plugin rejected the pod outright (then per-node reasons are not listed). */
  preFilterMessage?: string;
  nodeStatuses: ReadonlyMap<string, Status>;
  postFilterMessage?: string;
}

export function fitErrorMessage(input: FitErrorInput): string {
  // Kubernetes' ErrNoNodesAvailable: with no nodes there is nothing to count.
  if (input.numAllNodes === 0) return 'no nodes available to schedule pods';
  let msg = `0/${input.numAllNodes} nodes are available:`;
  if (input.preFilterMessage) msg += ` ${input.preFilterMessage}.`;
  else {
    const reasons: string[] = [];
    for (const s of input.nodeStatuses.values()) reasons.push(...s.reasons);
    const h = histogram(reasons);
    if (h) msg += ` ${h}.`;
  }
  if (input.postFilterMessage) msg += ` ${input.postFilterMessage}`;
  return msg;
}
