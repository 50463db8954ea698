import { describe, expect, it } from 'vitest';
import type { CoreEvent, Pod } from '../../lib/kube-types';
import { containerRows, eventsFor, forDisplay, qosClass } from './pod-detail';

function pod(resources: { requests?: Record<string, string>; limits?: Record<string, string> }[]): Pod {
  return {
    metadata: { name: 'p', namespace: 'default' },
    spec: { containers: resources.map((r, i) => ({ name: `c${i}`, resources: r })) },
  };
}

describe('qosClass', () => {
  it('follows Kubernetes: Guaranteed, Burstable, BestEffort', () => {
    expect(qosClass(pod([{}]))).toBe('BestEffort');
    expect(qosClass(pod([{ limits: { cpu: '500m', memory: '1Gi' } }]))).toBe('Guaranteed');
    expect(
      qosClass(pod([{ requests: { cpu: '0.5', memory: '1024Mi' }, limits: { cpu: '500m', memory: '1Gi' } }])),
    ).toBe('Guaranteed');
    expect(qosClass(pod([{ requests: { cpu: '100m' } }]))).toBe('Burstable');
    expect(qosClass(pod([{ limits: { cpu: '1', memory: '1Gi' } }, {}]))).toBe('Burstable');
    const withStatus = pod([{}]);
    withStatus.status = { qosClass: 'Burstable' };
    expect(qosClass(withStatus)).toBe('Burstable');
  });
});

describe('containerRows', () => {
  it('joins spec and status: state, last state, restarts, ports', () => {
    const p: Pod = {
      metadata: { name: 'p' },
      spec: {
        initContainers: [{ name: 'init', image: 'busybox' }],
        containers: [{ name: 'web', image: 'nginx', ports: [{ name: 'http', containerPort: 80 }] }],
      },
      status: {
        initContainerStatuses: [
          { name: 'init', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        ],
        containerStatuses: [
          {
            name: 'web',
            ready: false,
            restartCount: 4,
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error' } },
          },
        ],
      },
    };
    const [init, web] = containerRows(p);
    expect(init).toMatchObject({
      name: 'init',
      init: true,
      state: { label: 'Terminated: Completed (exit 0)' },
    });
    expect(web).toMatchObject({
      name: 'web',
      image: 'nginx',
      ports: ['http: 80/TCP'],
      restartCount: 4,
      state: { label: 'Waiting: CrashLoopBackOff', tone: 'bad' },
      lastState: { label: 'Terminated: Error (exit 1)' },
      // It has run before, so `previous` logs exist.
      waiting: false,
    });
    const fresh = containerRows({
      metadata: { name: 'q' },
      spec: { containers: [{ name: 'c' }] },
      status: { containerStatuses: [{ name: 'c', state: { waiting: { reason: 'ContainerCreating' } } }] },
    })[0]!;
    expect(fresh.waiting).toBe(true);
  });
});

describe('eventsFor', () => {
  const ev = (name: string, uid: string | undefined, at: string): CoreEvent => ({
    metadata: { name: `${name}-${at}` },
    involvedObject: { kind: 'Pod', name, namespace: 'default', ...(uid ? { uid } : {}) },
    lastTimestamp: at,
  });
  it('matches by uid when both sides have one, newest first', () => {
    const events = [
      ev('web', 'old-uid', '2026-01-01T00:00:01Z'),
      ev('web', 'new-uid', '2026-01-01T00:00:02Z'),
      ev('web', undefined, '2026-01-01T00:00:03Z'),
      ev('db', 'new-uid', '2026-01-01T00:00:04Z'),
    ];
    const mine = eventsFor(events, { kind: 'Pod', name: 'web', namespace: 'default', uid: 'new-uid' });
    expect(mine.map((e) => e.lastTimestamp)).toEqual(['2026-01-01T00:00:03Z', '2026-01-01T00:00:02Z']);
  });
});

describe('forDisplay', () => {
  it('hides managed fields only', () => {
    const shown = forDisplay({ metadata: { name: 'x', managedFields: [{}] }, spec: {} });
    expect(shown).toEqual({ metadata: { name: 'x' }, spec: {} });
  });
});
