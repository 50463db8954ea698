import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../platform/logger';
import type { CoreEvent, Pod, ReplicaSet } from '../../../shared/kube/objects';
import { createFakeKubeApi, waitFor } from '../../../shared/kube/testing';
import type { FakeKubeApi } from '../../../shared/kube/testing';
import { KubeApiError } from '../../../shared/kube/types';
import { statusForCode } from '../../../shared/kube/client';
import { startControllerManager } from '../controller-manager';
import type { ControllerManager } from '../controller-manager';
import { EVENTS, PODS, REPLICASETS } from '../framework/resources';

let manager: ControllerManager | undefined;
afterEach(async () => {
  await manager?.stop();
  manager = undefined;
});

function replicaSet(replicas: number): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    },
  };
}

async function start(api: FakeKubeApi) {
  manager = await startControllerManager({
    api,
    log: silentLogger,
    controllers: ['replicaset'],
    host: 'test',
  });
}

const creates = (api: FakeKubeApi) =>
  api.calls.filter((c) => c.verb === 'create' && c.resource === 'pods').length;

describe('ReplicaSet controller (fake API)', () => {
  it('creates exactly the missing pods even when resynced while its cache lags (expectations)', async () => {
    // The informer sees every write 30 ms late: without expectations the pokes below would make the
    // controller count pods it already created as missing and create them again.
    const api = createFakeKubeApi({ watchDelayMs: 30 });
    await start(api);
    const rs = await api.create(REPLICASETS, replicaSet(5));
    // Poke the ReplicaSet repeatedly while its pods are being created.
    for (let i = 0; i < 10; i++)
      await api.patch(REPLICASETS, 'web', 'default', { metadata: { labels: { poke: String(i) } } });
    await waitFor(() => api.objects<Pod>(PODS).length === 5, 'five pods');
    await waitFor(() => api.objects<ReplicaSet>(REPLICASETS)[0]?.status?.replicas === 5, 'status');
    expect(creates(api)).toBe(5);
    for (const pod of api.objects<Pod>(PODS)) {
      expect(pod.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web',
          uid: rs.metadata?.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(pod.metadata.generateName).toBe('web-');
    }
  });

  it('deletes unscheduled and not-ready pods first when scaling down', async () => {
    const api = createFakeKubeApi();
    await start(api);
    await api.create(REPLICASETS, replicaSet(3));
    await waitFor(() => api.objects<Pod>(PODS).length === 3, 'three pods');
    const [a, b] = api.objects<Pod>(PODS);
    // a: scheduled and ready; b: scheduled, not ready; c: unscheduled.
    await api.createSubresource(PODS, a?.metadata.name ?? '', 'default', 'binding', {
      target: { name: 'n1' },
    });
    await api.patch(
      PODS,
      a?.metadata.name ?? '',
      'default',
      { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } },
      'merge',
      'status',
    );
    await api.createSubresource(PODS, b?.metadata.name ?? '', 'default', 'binding', {
      target: { name: 'n1' },
    });
    await api.patch(REPLICASETS, 'web', 'default', { spec: { replicas: 1 } });
    await waitFor(() => api.objects<Pod>(PODS).length === 1, 'one pod left');
    expect(api.objects<Pod>(PODS)[0]?.metadata.name).toBe(a?.metadata.name);
    await waitFor(
      () => api.objects<CoreEvent>(EVENTS).filter((e) => e.reason === 'SuccessfulDelete').length === 2,
      'delete events',
    );
  });

  it('slow-starts creates: a failing API costs one request, a Warning event and a ReplicaFailure condition', async () => {
    const api = createFakeKubeApi();
    api.reactors.push((call) => {
      if (call.verb === 'create' && call.resource === 'pods') {
        throw new KubeApiError(403, {
          ...statusForCode(403, 'pods "web-" is forbidden: exceeded quota'),
          reason: 'Forbidden',
        });
      }
    });
    await start(api);
    await api.create(REPLICASETS, replicaSet(50));
    await waitFor(
      () =>
        api.objects<ReplicaSet>(REPLICASETS)[0]?.status?.conditions?.some((c) => c.type === 'ReplicaFailure'),
      'ReplicaFailure',
    );
    const first = api.calls.findIndex((c) => c.verb === 'create' && c.resource === 'pods');
    const statusWrite = api.calls.findIndex((c, i) => i > first && c.verb === 'updateStatus');
    // Between the first failed create and the status write, no other create was attempted.
    expect(
      api.calls.slice(first + 1, statusWrite).filter((c) => c.verb === 'create' && c.resource === 'pods'),
    ).toHaveLength(0);
    const warning = await waitFor(
      () => api.objects<CoreEvent>(EVENTS).find((e) => e.reason === 'FailedCreate'),
      'FailedCreate event',
    );
    expect(warning).toMatchObject({
      type: 'Warning',
      message: 'Error creating: pods "web-" is forbidden: exceeded quota',
    });
  });

  it('does not adopt pods owned by another controller', async () => {
    const api = createFakeKubeApi();
    await api.create(PODS, {
      metadata: {
        name: 'other',
        namespace: 'default',
        labels: { app: 'web' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: 'x', controller: true },
        ],
      },
    });
    await start(api);
    await api.create(REPLICASETS, replicaSet(1));
    await waitFor(() => api.objects<Pod>(PODS).length === 2, 'its own pod');
    expect(
      api.objects<Pod>(PODS).find((p) => p.metadata.name === 'other')?.metadata.ownerReferences?.[0]?.uid,
    ).toBe('x');
  });
});
