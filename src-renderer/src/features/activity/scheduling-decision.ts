// A pod's scheduling decision as far as its Events tell it. The scheduler writes two shapes:
//   Scheduled:        "Successfully assigned default/web-1 to node-2 (score 187; next: node-1 164, node-3 150)"
//                     or "... (score 187; the only feasible node of 3 evaluated)"
//   FailedScheduling: "0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu."
// The first names the chosen node and its two closest rivals with their total scores; the second counts
// nodes per filter reason (not which node failed which filter). The table shows exactly that and says
// how many nodes it does not cover, rather than inventing rows.
import type { CoreEvent } from '../../lib/kube-types';
import { timestampMs } from '../../lib/format';

export interface ScoredNode {
  node: string;
  score: number;
  chosen: boolean;
}

export interface ScheduledDecision {
  kind: 'scheduled';
  pod: string;
  node: string;
  /** The chosen node first, then the runners-up the message names (best first). */
  scored: ScoredNode[];
  /** "the only feasible node of N evaluated": N, when the message says so. */
  onlyFeasibleOf?: number;
}

export interface FilterReason {
  /** How many nodes this reason ruled out. */
  nodes: number;
  reason: string;
}

export interface FailedDecision {
  kind: 'failed';
  totalNodes: number;
  reasons: FilterReason[];
  /** Text after the reasons (a preemption note), kept as written. */
  note?: string;
  /** When the message has no node counts ("no nodes available to schedule pods", a Reserve failure). */
  text?: string;
}

export type Decision = ScheduledDecision | FailedDecision;

const SCHEDULED = /^Successfully assigned (\S+) to (\S+)(?: \((.*)\))?$/;

export function parseScheduledMessage(message: string): ScheduledDecision | undefined {
  const m = SCHEDULED.exec(message.trim());
  if (!m) return undefined;
  const [, pod, node, detail] = m as unknown as [string, string, string, string | undefined];
  const decision: ScheduledDecision = { kind: 'scheduled', pod, node, scored: [] };
  if (!detail) return decision;
  const score = /^score (-?\d+(?:\.\d+)?)/.exec(detail);
  if (score) decision.scored.push({ node, score: Number(score[1]), chosen: true });
  const next = /next: (.*)$/.exec(detail);
  if (next) {
    for (const part of next[1]!.split(',')) {
      const pm = /^\s*(\S+) (-?\d+(?:\.\d+)?)\s*$/.exec(part);
      if (pm) decision.scored.push({ node: pm[1]!, score: Number(pm[2]), chosen: false });
    }
  }
  const only = /the only feasible node of (\d+) evaluated/.exec(detail);
  if (only) decision.onlyFeasibleOf = Number(only[1]);
  return decision;
}

/**
 * Splits kube-scheduler's FitError summary. Reasons are separated by ", " but a reason may itself
 * contain commas inside braces (a taint "{key: value}"), so the split respects brackets.
 */
export function parseFailedMessage(message: string): FailedDecision {
  const m = /^0\/(\d+) nodes are available:\s*(.*)$/s.exec(message.trim());
  if (!m) return { kind: 'failed', totalNodes: 0, reasons: [], text: message.trim() };
  const totalNodes = Number(m[1]);
  let rest = m[2]!;
  // The histogram ends at the first ". " / "." outside brackets; anything after it is a note.
  let depth = 0;
  let end = rest.length;
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i];
    if (ch === '{' || ch === '[' || ch === '(') depth++;
    else if (ch === '}' || ch === ']' || ch === ')') depth = Math.max(0, depth - 1);
    else if (ch === '.' && depth === 0 && (i === rest.length - 1 || rest[i + 1] === ' ')) {
      end = i;
      break;
    }
  }
  const note = rest.slice(end + 1).trim();
  rest = rest.slice(0, end);
  const parts: string[] = [];
  depth = 0;
  let start = 0;
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i];
    if (ch === '{' || ch === '[' || ch === '(') depth++;
    else if (ch === '}' || ch === ']' || ch === ')') depth = Math.max(0, depth - 1);
    else if (ch === ',' && depth === 0) {
      parts.push(rest.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(rest.slice(start));
  const reasons: FilterReason[] = [];
  for (const part of parts.map((p) => p.trim()).filter(Boolean)) {
    const pm = /^(\d+) (.*)$/s.exec(part);
    if (pm) reasons.push({ nodes: Number(pm[1]), reason: pm[2]! });
    else reasons.push({ nodes: 0, reason: part });
  }
  // A pre-filter rejection ("0/3 nodes are available: persistentvolumeclaim not found.") has no counts.
  if (reasons.every((r) => r.nodes === 0))
    return { kind: 'failed', totalNodes, reasons: [], text: m[2]!.trim() };
  return { kind: 'failed', totalNodes, reasons, ...(note ? { note } : {}) };
}

export function parseDecision(reason: string | undefined, message: string | undefined): Decision | undefined {
  if (!message) return undefined;
  if (reason === 'Scheduled') return parseScheduledMessage(message);
  if (reason === 'FailedScheduling') return parseFailedMessage(message);
  return undefined;
}

/** Whether the message carries more than one line's worth (scores or reason counts) to tabulate. */
export function hasTable(d: Decision | undefined): boolean {
  if (!d) return false;
  return d.kind === 'scheduled' ? d.scored.length > 0 : d.reasons.length > 0;
}

/** The latest Scheduled or FailedScheduling event among a pod's events. */
export function latestDecisionEvent(events: readonly CoreEvent[]): CoreEvent | undefined {
  let best: CoreEvent | undefined;
  let bestTime = -1;
  for (const e of events) {
    if (e.reason !== 'Scheduled' && e.reason !== 'FailedScheduling') continue;
    const t =
      timestampMs(e.lastTimestamp) ||
      timestampMs(e.eventTime) ||
      timestampMs(e.firstTimestamp) ||
      timestampMs(e.metadata.creationTimestamp);
    if (t >= bestTime) {
      best = e;
      bestTime = t;
    }
  }
  return best;
}
