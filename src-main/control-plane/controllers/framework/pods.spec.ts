import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../shared/kube/objects';
import { compareForDeletion, isPodAvailable } from './pods';

const pod = (
  name: string,
  opts: { node?: string; phase?: string; readySince?: string; restarts?: number; created?: string } = {},
): Pod => ({
  metadata: { name, creationTimestamp: opts.created ?? '2025-01-01T00:00:00Z' },
  spec: opts.node ? { nodeName: opts.node } : {},
  status: {
    phase: (opts.phase ?? 'Pending') as 'Pending',
    conditions: opts.readySince
      ? [{ type: 'Ready', status: 'True', lastTransitionTime: opts.readySince }]
      : [],
    containerStatuses: [{ name: 'c', restartCount: opts.restarts ?? 0 }],
  },
});

describe('pod ranking for deletion', () => {
  it('prefers unscheduled, pending, not ready, recently ready, restarting, newer pods', () => {
    const pods = [
      pod('old-ready', { node: 'n', phase: 'Running', readySince: '2025-01-01T00:00:00Z' }),
      pod('new-ready', { node: 'n', phase: 'Running', readySince: '2025-01-01T01:00:00Z' }),
      pod('running-not-ready', { node: 'n', phase: 'Running' }),
      pod('pending-scheduled', { node: 'n' }),
      pod('unscheduled'),
      pod('restarting', { node: 'n', phase: 'Running', readySince: '2025-01-01T00:00:00Z', restarts: 5 }),
    ];
    expect([...pods].sort(compareForDeletion).map((p) => p.metadata.name)).toEqual([
      'unscheduled',
      'pending-scheduled',
      'running-not-ready',
      'new-ready',
      'restarting',
      'old-ready',
    ]);
  });

  it('counts a pod available only after minReadySeconds', () => {
    const p = pod('a', { readySince: '2025-01-01T00:00:00Z' });
    const t = Date.parse('2025-01-01T00:00:00Z');
    expect(isPodAvailable(p, 0, t)).toBe(true);
    expect(isPodAvailable(p, 10, t + 9_000)).toBe(false);
    expect(isPodAvailable(p, 10, t + 10_000)).toBe(true);
  });
});
