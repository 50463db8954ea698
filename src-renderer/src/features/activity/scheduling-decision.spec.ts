import { describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../lib/kube-types';
import {
  hasTable,
  latestDecisionEvent,
  parseDecision,
  parseFailedMessage,
  parseScheduledMessage,
} from './scheduling-decision';

describe('parseScheduledMessage', () => {
  it('reads the chosen node, its score and the runners-up', () => {
    expect(
      parseScheduledMessage(
        'Successfully assigned default/web-1 to node-2 (score 187; next: node-1 164, node-3 150)',
      ),
    ).toEqual({
      kind: 'scheduled',
      pod: 'default/web-1',
      node: 'node-2',
      scored: [
        { node: 'node-2', score: 187, chosen: true },
        { node: 'node-1', score: 164, chosen: false },
        { node: 'node-3', score: 150, chosen: false },
      ],
    });
  });

  it('reads the only-feasible form, and a plain message without scores', () => {
    const only = parseScheduledMessage(
      'Successfully assigned default/x to laptop (score 90; the only feasible node of 3 evaluated)',
    )!;
    expect(only.scored).toEqual([{ node: 'laptop', score: 90, chosen: true }]);
    expect(only.onlyFeasibleOf).toBe(3);
    const plain = parseScheduledMessage('Successfully assigned default/web-1 to worker-1')!;
    expect([plain.node, plain.scored.length, hasTable(plain)]).toEqual(['worker-1', 0, false]);
    expect(parseScheduledMessage('Bound somewhere')).toBeUndefined();
  });
});

describe('parseFailedMessage', () => {
  it('counts nodes per reason, keeping commas inside a taint', () => {
    const d = parseFailedMessage(
      '0/5 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu, team: a}, 1 node(s) were unschedulable, 3 Insufficient cpu. preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.',
    );
    expect(d.totalNodes).toBe(5);
    expect(d.reasons).toEqual([
      { nodes: 1, reason: 'node(s) had untolerated taint {dedicated: gpu, team: a}' },
      { nodes: 1, reason: 'node(s) were unschedulable' },
      { nodes: 3, reason: 'Insufficient cpu' },
    ]);
    expect(d.note).toMatch(/^preemption:/);
    expect(hasTable(d)).toBe(true);
  });

  it('keeps messages without counts as text', () => {
    expect(parseFailedMessage('no nodes available to schedule pods')).toEqual({
      kind: 'failed',
      totalNodes: 0,
      reasons: [],
      text: 'no nodes available to schedule pods',
    });
    const pre = parseFailedMessage('0/3 nodes are available: persistentvolumeclaim "data" not found.');
    expect([pre.totalNodes, pre.reasons.length, pre.text]).toEqual([
      3,
      0,
      'persistentvolumeclaim "data" not found.',
    ]);
    expect(parseDecision('Started', 'x')).toBeUndefined();
  });
});

describe('latestDecisionEvent', () => {
  const ev = (reason: string, at: string): CoreEvent => ({
    metadata: { name: `${reason}-${at}` },
    involvedObject: { kind: 'Pod', name: 'p' },
    reason,
    message: 'm',
    lastTimestamp: at,
  });
  it('picks the newest Scheduled or FailedScheduling event', () => {
    const events = [
      ev('FailedScheduling', '2026-01-01T00:00:01Z'),
      ev('Scheduled', '2026-01-01T00:00:05Z'),
      ev('Started', '2026-01-01T00:00:09Z'),
    ];
    expect(latestDecisionEvent(events)!.reason).toBe('Scheduled');
    expect(latestDecisionEvent([events[2]!])).toBeUndefined();
  });
});
