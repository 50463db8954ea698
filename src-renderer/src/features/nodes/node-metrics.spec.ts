import { describe, expect, it } from 'vitest';
import { appendSample, humanBytes, humanCores, parseNodeMetrics } from './node-metrics';

describe('node metrics', () => {
  it('reads a NodeMetrics object in cores and bytes', () => {
    expect(
      parseNodeMetrics({
        kind: 'NodeMetrics',
        timestamp: '2026-01-01T00:00:10Z',
        window: '10s',
        usage: { cpu: '250000000n', memory: '1536Mi' },
      }),
    ).toEqual({
      t: Date.parse('2026-01-01T00:00:10Z') / 1000,
      cpuCores: 0.25,
      memoryBytes: 1536 * 1024 * 1024,
    });
    expect(parseNodeMetrics({ usage: {} })).toBeUndefined();
    expect(parseNodeMetrics({ usage: { cpu: 'lots', memory: '1' } })).toBeUndefined();
  });

  it('keeps a bounded series without repeating a cached sample', () => {
    let s = appendSample([], { t: 1, cpuCores: 0, memoryBytes: 0 }, 2);
    s = appendSample(s, { t: 1, cpuCores: 9, memoryBytes: 9 }, 2);
    expect(s).toHaveLength(1);
    s = appendSample(s, { t: 2, cpuCores: 0, memoryBytes: 0 }, 2);
    s = appendSample(s, { t: 3, cpuCores: 0, memoryBytes: 0 }, 2);
    expect(s.map((x) => x.t)).toEqual([2, 3]);
  });

  it('formats axes for people', () => {
    expect(humanBytes(1536 * 1024 * 1024)).toBe('1.5 GiB');
    expect(humanBytes(512)).toBe('512 B');
    expect(humanCores(0.25)).toBe('250m');
    expect(humanCores(1.256)).toBe('1.26');
  });
});
