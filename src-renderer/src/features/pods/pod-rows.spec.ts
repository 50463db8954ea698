import { describe, expect, it } from 'vitest';
import type { ContainerState, Pod } from '../../lib/kube-types';
import { filterAndSortPods, podRow, podStatus } from './pod-rows';

function pod(name: string, over: Partial<Pod['status']> = {}, extra: Partial<Pod> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: name, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { nodeName: 'n1', containers: [{ name: 'c' }] },
    status: { phase: 'Running', ...over },
    ...extra,
  };
}
const container = (state: ContainerState, ready = false, restartCount = 0) => ({
  name: 'c',
  state,
  ready,
  restartCount,
});

describe('podStatus (kubectl STATUS column)', () => {
  it('shows a waiting reason over the phase: CrashLoopBackOff, ImagePullBackOff', () => {
    expect(
      podStatus(
        pod('a', { containerStatuses: [container({ waiting: { reason: 'CrashLoopBackOff' } }, false, 4)] }),
      ),
    ).toBe('CrashLoopBackOff');
    expect(
      podStatus(
        pod('b', {
          phase: 'Pending',
          containerStatuses: [container({ waiting: { reason: 'ImagePullBackOff' } })],
        }),
      ),
    ).toBe('ImagePullBackOff');
  });

  it('shows terminated reasons, exit codes and signals', () => {
    expect(
      podStatus(
        pod('a', {
          phase: 'Failed',
          containerStatuses: [container({ terminated: { reason: 'OOMKilled', exitCode: 137 } })],
        }),
      ),
    ).toBe('OOMKilled');
    expect(
      podStatus(
        pod('b', { phase: 'Failed', containerStatuses: [container({ terminated: { exitCode: 2 } })] }),
      ),
    ).toBe('ExitCode:2');
    expect(
      podStatus(
        pod('c', {
          phase: 'Failed',
          containerStatuses: [container({ terminated: { exitCode: 0, signal: 9 } })],
        }),
      ),
    ).toBe('Signal:9');
  });

  it('shows init progress and init failures', () => {
    const p = pod('a', {
      phase: 'Pending',
      initContainerStatuses: [container({ terminated: { exitCode: 0 } }), container({ running: {} })],
    });
    p.spec!.initContainers = [{ name: 'i1' }, { name: 'i2' }];
    expect(podStatus(p)).toBe('Init:1/2');
    expect(
      podStatus(
        pod('b', {
          phase: 'Pending',
          initContainerStatuses: [container({ waiting: { reason: 'CrashLoopBackOff' } })],
        }),
      ),
    ).toBe('Init:CrashLoopBackOff');
  });

  it('shows Terminating for pods being deleted, and Running for ready running pods', () => {
    const deleting = pod('a');
    deleting.metadata.deletionTimestamp = '2026-01-01T00:00:05Z';
    expect(podStatus(deleting)).toBe('Terminating');
    expect(podStatus(pod('b', { containerStatuses: [container({ running: {} }, true)] }))).toBe('Running');
    expect(podStatus(pod('c', { phase: undefined }))).toBe('Pending');
  });
});

describe('podRow', () => {
  it('counts ready containers and restarts', () => {
    const p = pod('a', {
      podIP: '10.0.0.5',
      containerStatuses: [
        container({ running: {} }, true, 2),
        { ...container({ running: {} }, false, 1), name: 'd' },
      ],
    });
    p.spec!.containers = [{ name: 'c' }, { name: 'd' }];
    const row = podRow(p);
    expect([row.ready, row.restarts, row.podIP, row.node, row.tone]).toEqual([
      '1/2',
      3,
      '10.0.0.5',
      'n1',
      'good',
    ]);
    expect(
      podRow(pod('x', { containerStatuses: [container({ waiting: { reason: 'CrashLoopBackOff' } })] })).tone,
    ).toBe('bad');
  });
});

describe('filterAndSortPods', () => {
  const rows = [
    podRow(pod('web-10', { podIP: '10.0.0.10' })),
    podRow(
      pod('web-9', {
        podIP: '10.0.0.9',
        containerStatuses: [container({ waiting: { reason: 'CrashLoopBackOff' } }, false, 7)],
      }),
    ),
    podRow({
      ...pod('db-0', { podIP: '10.0.1.2' }),
      metadata: { name: 'db-0', namespace: 'data', uid: 'db-0', creationTimestamp: '2026-01-02T00:00:00Z' },
    }),
  ];
  const q = { namespace: '', search: '', sortKey: 'name' as const, direction: 'asc' as const };

  it('sorts names and IPs naturally, both directions', () => {
    expect(filterAndSortPods(rows, q).map((r) => r.name)).toEqual(['db-0', 'web-9', 'web-10']);
    expect(filterAndSortPods(rows, { ...q, sortKey: 'podIP' }).map((r) => r.podIP)).toEqual([
      '10.0.0.9',
      '10.0.0.10',
      '10.0.1.2',
    ]);
    expect(filterAndSortPods(rows, { ...q, sortKey: 'restarts', direction: 'desc' })[0]!.name).toBe('web-9');
    // Age ascending = youngest first.
    expect(filterAndSortPods(rows, { ...q, sortKey: 'age' })[0]!.name).toBe('db-0');
  });

  it('filters by namespace and by every search term (status, IP, name)', () => {
    expect(filterAndSortPods(rows, { ...q, namespace: 'data' }).map((r) => r.name)).toEqual(['db-0']);
    expect(filterAndSortPods(rows, { ...q, search: 'crashloop' }).map((r) => r.name)).toEqual(['web-9']);
    expect(filterAndSortPods(rows, { ...q, search: 'web 10.0.0.1' }).map((r) => r.name)).toEqual(['web-10']);
    expect(filterAndSortPods(rows, { ...q, search: 'nothing-matches' })).toEqual([]);
  });
});
