import { describe, expect, it } from 'vitest';
import { clusterHealth, HEALTH_COLOURS, isNodeReady } from './health';
import type { NodeLike } from './health';

const node = (
  name: string,
  ready?: 'True' | 'False' | 'Unknown',
  extra: Partial<NodeLike> = {},
): NodeLike => ({
  metadata: { name },
  status: {
    conditions: ready
      ? [
          { type: 'MemoryPressure', status: 'False' },
          { type: 'Ready', status: ready },
        ]
      : [],
  },
  ...extra,
});

describe('clusterHealth', () => {
  it('is grey (empty) without nodes', () => {
    const h = clusterHealth([]);
    expect(h).toMatchObject({ level: 'empty', total: 0, ready: 0, notReady: [] });
    expect(h.summary).toMatch(/No nodes yet/);
  });

  it('is green when every node is Ready, cordoned ones included', () => {
    const h = clusterHealth([node('a', 'True'), node('b', 'True', { spec: { unschedulable: true } })]);
    expect(h).toMatchObject({ level: 'healthy', total: 2, ready: 2 });
    expect(h.summary).toBe('All 2 nodes Ready');
    expect(clusterHealth([node('solo', 'True')]).summary).toBe('All 1 node Ready');
  });

  it('is amber when some node is not Ready: False, Unknown or without a Ready condition', () => {
    const h = clusterHealth([node('a', 'True'), node('c', 'Unknown'), node('b', 'False'), node('d')]);
    expect(h.level).toBe('degraded');
    expect(h.ready).toBe(1);
    expect(h.notReady).toEqual(['b', 'c', 'd']);
    expect(h.summary).toBe('1 of 4 nodes Ready (not Ready: b, c, d)');
  });

  it('is amber when all nodes are down, and shortens long lists', () => {
    const h = clusterHealth(['n1', 'n2', 'n3', 'n4', 'n5'].map((n) => node(n, 'False')));
    expect(h.level).toBe('degraded');
    expect(h.summary).toBe('0 of 5 nodes Ready (not Ready: n1, n2, n3, +2 more)');
  });

  it('reads only the Ready condition', () => {
    expect(isNodeReady(node('x', 'True'))).toBe(true);
    expect(isNodeReady({ status: { conditions: [{ type: 'NetworkUnavailable', status: 'True' }] } })).toBe(
      false,
    );
    expect(isNodeReady({})).toBe(false);
  });

  it('has three distinct colours', () => {
    const colours = new Set(Object.values(HEALTH_COLOURS).map((c) => c.join(',')));
    expect(colours.size).toBe(3);
  });
});
