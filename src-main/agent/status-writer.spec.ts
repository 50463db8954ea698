import { describe, expect, it } from 'vitest';
import { findResourceByKind } from '../shared/resources';
import type { ResourceInfo } from '../shared/resources';
import { statusForCode } from '../shared/kube/client';
import { createFakeKubeApi } from '../shared/kube/testing';
import { KubeApiError } from '../shared/kube/types';
import { ManualClock } from './clock';
import { makePod } from './pods/testing';
import type { Pod } from './pods/types';
import { StatusWriter } from './status-writer';

const PODS = findResourceByKind('v1', 'Pod') as ResourceInfo;

describe('status writer', () => {
  it('patches pods/status, retries a failed write with the newest status, and deletes a terminated pod', async () => {
    const api = createFakeKubeApi();
    const clock = new ManualClock();
    const pod = api.seed(PODS, makePod('web', [{}]));
    let failNext = true;
    api.reactors.push((call) => {
      if (call.verb === 'patch' && failNext) {
        failNext = false;
        throw new KubeApiError(500, statusForCode(500, 'etcd is sad'));
      }
    });
    const writer = new StatusWriter(api, clock);
    writer.onStatus(pod, { phase: 'Pending' });
    await new Promise((r) => setTimeout(r, 10));
    writer.onStatus(pod, { phase: 'Running', podIP: '10.244.0.5' });
    clock.advance(1_000);
    await writer.drained();
    const stored = api.objects<Pod>(PODS, 'default')[0];
    expect(stored?.status).toMatchObject({ phase: 'Running', podIP: '10.244.0.5' });
    expect(api.calls.filter((c) => c.verb === 'patch')).toHaveLength(2);

    writer.onTerminated(pod);
    await writer.drained();
    expect(api.objects(PODS, 'default')).toEqual([]);
  });

  it('stops retrying once the pod is no longer this node’s (the node authorizer says 403 for a gone pod)', async () => {
    const api = createFakeKubeApi();
    const clock = new ManualClock();
    const pod = makePod('churned', [{}]);
    let current = true;
    api.reactors.push((call) => {
      if (call.verb === 'patch') throw new KubeApiError(403, statusForCode(403, 'no pod is bound to node'));
    });
    const writer = new StatusWriter(
      api,
      clock,
      undefined,
      (p) => current && p.metadata.uid === pod.metadata.uid,
    );
    writer.onStatus(pod, { phase: 'Succeeded' });
    await new Promise((r) => setTimeout(r, 10));
    clock.advance(1_000); // a 403 for a pod still listed: retried
    await new Promise((r) => setTimeout(r, 10));
    expect(api.calls.filter((c) => c.verb === 'patch')).toHaveLength(2);
    current = false; // the informer saw it deleted
    clock.advance(60_000);
    await writer.drained();
    expect(api.calls.filter((c) => c.verb === 'patch')).toHaveLength(2);
    expect(clock.pendingTimers()).toBe(0);
    writer.onStatus(pod, { phase: 'Failed' }); // a late pass of the pod sync: not written at all
    await writer.drained();
    expect(api.calls.filter((c) => c.verb === 'patch')).toHaveLength(2);
  });

  it('gives up on a pod that no longer exists', async () => {
    const api = createFakeKubeApi();
    const writer = new StatusWriter(api, new ManualClock());
    writer.onStatus(makePod('ghost', [{}]), { phase: 'Running' });
    await writer.drained();
    expect(api.calls.filter((c) => c.verb === 'patch')).toHaveLength(1);
  });
});
