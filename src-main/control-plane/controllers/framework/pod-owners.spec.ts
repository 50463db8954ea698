import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../platform/logger';
import type { Pod, ReplicaSet } from '../../../shared/kube/objects';
import { createFakeKubeApi } from '../../../shared/kube/testing';
import type { KubeObjectLike, Lister } from '../../../shared/kube/types';
import { createPodOwners } from './pod-owners';
import { PODS, REPLICASETS } from './resources';

function setup() {
  const api = createFakeKubeApi();
  const events: { involved: KubeObjectLike; type: string; reason: string; message: string }[] = [];
  const rs = api.seed<ReplicaSet>(REPLICASETS, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default', uid: 'rs-1' },
    spec: { selector: { matchLabels: { app: 'web' } } },
  });
  const lister: Lister<ReplicaSet> = {
    get: (name, namespace) =>
      api.objects<ReplicaSet>(REPLICASETS, namespace).find((r) => r.metadata.name === name),
    list: (namespace) => api.objects<ReplicaSet>(REPLICASETS, namespace),
  };
  const owners = createPodOwners<ReplicaSet>({
    api,
    resource: REPLICASETS,
    lister,
    recorder: {
      event: (involved, type, reason, message) => events.push({ involved, type, reason, message }),
    },
    log: silentLogger,
  });
  const pod = (name: string, labels: Record<string, string>, owner?: { kind: string; uid: string }) =>
    api.seed<Pod>(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: 'default',
        uid: `pod-${name}`,
        labels,
        ...(owner
          ? {
              ownerReferences: [
                { apiVersion: 'apps/v1', kind: owner.kind, name: 'web', uid: owner.uid, controller: true },
              ],
            }
          : {}),
      },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    });
  return { api, rs, owners, events, pod };
}

describe('createPodOwners', () => {
  it("finds a pod's owner only when the controller reference names this kind and the same uid", () => {
    const { rs, owners, pod } = setup();
    expect(owners.ownerOf(pod('a', {}, { kind: 'ReplicaSet', uid: 'rs-1' }))?.metadata.uid).toBe(
      rs.metadata.uid,
    );
    expect(owners.ownerOf(pod('b', {}, { kind: 'ReplicaSet', uid: 'rs-old' }))).toBeUndefined();
    expect(owners.ownerOf(pod('c', {}, { kind: 'DaemonSet', uid: 'rs-1' }))).toBeUndefined();
    expect(owners.ownerOf(pod('d', { app: 'web' }))).toBeUndefined();
    expect(owners.matching(pod('e', { app: 'web' })).map((r) => r.metadata.name)).toEqual(['web']);
    expect(owners.matching(pod('f', { app: 'db' }))).toEqual([]);
    expect(owners.ref(rs)).toEqual({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: rs.metadata });
  });

  it('adopts a matching orphan, releases an owned pod that stopped matching, and leaves the rest', async () => {
    const { api, rs, owners, pod } = setup();
    const candidates = [
      pod('orphan', { app: 'web' }),
      pod('mine', { app: 'web' }, { kind: 'ReplicaSet', uid: 'rs-1' }),
      pod('relabelled', { app: 'db' }, { kind: 'ReplicaSet', uid: 'rs-1' }),
      pod('other', { app: 'db' }),
    ];
    const claimed = await owners.claim(rs, candidates);
    expect(claimed?.map((p) => p.metadata.name).sort()).toEqual(['mine', 'orphan']);
    const stored = new Map(api.objects<Pod>(PODS, 'default').map((p) => [p.metadata.name, p]));
    expect(stored.get('orphan')?.metadata.ownerReferences?.[0]).toMatchObject({
      uid: 'rs-1',
      controller: true,
    });
    expect(stored.get('relabelled')?.metadata.ownerReferences ?? []).toEqual([]);
    expect(stored.get('other')?.metadata.ownerReferences).toBeUndefined();
  });

  it('adopts nothing for an owner that is gone live, and reports a selector that does not parse', async () => {
    const { api, rs, owners, events, pod } = setup();
    const orphan = pod('orphan', { app: 'web' });
    await api.delete(REPLICASETS, 'web', 'default');
    expect(await owners.claim(rs, [orphan])).toEqual([]);
    expect(api.objects<Pod>(PODS, 'default')[0]?.metadata.ownerReferences).toBeUndefined();

    const broken = { ...rs, spec: { selector: { matchExpressions: [{ key: 'app', operator: 'Bogus' }] } } };
    expect(await owners.claim(broken, [orphan])).toBeUndefined();
    expect(events).toMatchObject([{ type: 'Warning', reason: 'InvalidSelector' }]);
  });
});
