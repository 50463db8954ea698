import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../resources';
import type { ResourceInfo } from '../resources';
import { createEventRecorder } from './events';
import type { CoreEvent } from './objects';
import { createFakeKubeApi } from './testing';

const EVENTS = RESOURCES.find((r) => r.plural === 'events') as ResourceInfo;
const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'ns1', uid: 'u1', resourceVersion: '3' },
};

describe('createEventRecorder', () => {
  it('writes a core/v1 Event with the fields kubectl shows', async () => {
    const api = createFakeKubeApi();
    const at = new Date('2025-01-02T03:04:05.678Z');
    const rec = createEventRecorder(api, { component: 'replicaset-controller', host: 'box', now: () => at });
    rec.event(pod, 'Normal', 'SuccessfulCreate', 'Created pod: web-1');
    await rec.flush();
    const [ev] = api.objects<CoreEvent>(EVENTS, 'ns1');
    expect(ev).toMatchObject({
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'ns1', uid: 'u1', apiVersion: 'v1' },
      reason: 'SuccessfulCreate',
      message: 'Created pod: web-1',
      type: 'Normal',
      source: { component: 'replicaset-controller', host: 'box' },
      reportingComponent: 'replicaset-controller',
      reportingInstance: 'replicaset-controller-box',
      firstTimestamp: '2025-01-02T03:04:05Z',
      lastTimestamp: '2025-01-02T03:04:05Z',
      eventTime: '2025-01-02T03:04:05.678000Z',
      count: 1,
    });
    expect(ev?.metadata.name).toMatch(/^web-1\.[0-9a-f]+$/);
  });

  it('aggregates repeats within the window into one Event with a count', async () => {
    const api = createFakeKubeApi();
    let t = Date.parse('2025-01-01T00:00:00Z');
    const rec = createEventRecorder(api, {
      component: 'c',
      now: () => new Date(t),
      aggregationWindowMs: 60_000,
    });
    rec.event(pod, 'Warning', 'FailedCreate', 'quota');
    rec.event(pod, 'Warning', 'FailedCreate', 'quota');
    t += 30_000;
    rec.event(pod, 'Warning', 'FailedCreate', 'quota');
    rec.event(pod, 'Warning', 'FailedCreate', 'another message');
    await rec.flush();
    let events = api.objects<CoreEvent>(EVENTS, 'ns1');
    expect(events).toHaveLength(2);
    const quota = events.find((e) => e.message === 'quota');
    expect(quota).toMatchObject({
      count: 3,
      firstTimestamp: '2025-01-01T00:00:00Z',
      lastTimestamp: '2025-01-01T00:00:30Z',
    });
    // Past the window a repeat starts a new Event.
    t += 120_000;
    rec.event(pod, 'Warning', 'FailedCreate', 'quota');
    await rec.flush();
    events = api.objects<CoreEvent>(EVENTS, 'ns1');
    expect(events.filter((e) => e.message === 'quota').map((e) => e.count)).toEqual([3, 1]);
  });

  it('never throws or blocks: failures are logged', async () => {
    const api = createFakeKubeApi();
    api.reactors.push(() => {
      throw new Error('API down');
    });
    const warnings: string[] = [];
    const rec = createEventRecorder(api, { component: 'c', log: { warn: (m) => warnings.push(m) } });
    expect(() => rec.event(pod, 'Normal', 'R', 'm')).not.toThrow();
    await rec.flush();
    expect(warnings).toEqual(['could not record event']);
  });

  it('puts events about cluster-scoped objects in the default namespace', async () => {
    const api = createFakeKubeApi();
    const rec = createEventRecorder(api, { component: 'node-controller' });
    rec.event(
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'n' } },
      'Normal',
      'RegisteredNode',
      'Node n1 event',
    );
    await rec.flush();
    expect(api.objects<CoreEvent>(EVENTS, 'default')).toHaveLength(1);
  });
});
