import { describe, expect, it } from 'vitest';
import type { Deployment, Pod, ReplicaSet } from '../../lib/kube-types';
import { podsOf, revisionsOf, rolloutStatus } from './deployment-detail';

const dep = (status: Deployment['status'], replicas = 3, generation = 2): Deployment => ({
  metadata: { name: 'web', namespace: 'default', uid: 'd1', generation },
  spec: { replicas },
  status: { observedGeneration: 2, ...status },
});
const rs = (name: string, revision: string, ownerUid = 'd1'): ReplicaSet => ({
  metadata: {
    name,
    uid: `${name}-uid`,
    annotations: { 'deployment.kubernetes.io/revision': revision },
    ownerReferences: [{ kind: 'Deployment', name: 'web', uid: ownerUid, controller: true }],
  },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'c', image: `img:${revision}` }] } } },
  status: { replicas: 1, readyReplicas: 1 },
});

describe('revisionsOf / podsOf', () => {
  it('lists owned ReplicaSets newest revision first and finds their pods', () => {
    const revs = revisionsOf(dep({}), [
      rs('web-a', '1'),
      rs('web-c', '10'),
      rs('web-b', '2'),
      rs('other', '5', 'd2'),
    ]);
    expect(revs.map((r) => [r.name, r.revision, r.isCurrent])).toEqual([
      ['web-c', 10, true],
      ['web-b', 2, false],
      ['web-a', 1, false],
    ]);
    expect(revs[0]!.images).toEqual(['img:10']);
    const pod = (name: string, owner: string): Pod => ({
      metadata: {
        name,
        ownerReferences: [{ kind: 'ReplicaSet', name: owner, uid: `${owner}-uid`, controller: true }],
      },
    });
    expect(podsOf(revs, [pod('p1', 'web-c'), pod('p2', 'other')]).map((p) => p.metadata.name)).toEqual([
      'p1',
    ]);
  });
});

describe('rolloutStatus', () => {
  it('says what the rollout waits for, as kubectl rollout status does', () => {
    expect(rolloutStatus(dep({}, 3, 3)).message).toMatch(/spec update to be observed/);
    expect(rolloutStatus(dep({ updatedReplicas: 1, replicas: 3 })).message).toBe(
      'Waiting for rollout to finish: 1 out of 3 new replicas have been updated…',
    );
    expect(rolloutStatus(dep({ updatedReplicas: 3, replicas: 4 })).message).toMatch(
      /1 old replicas are pending/,
    );
    expect(rolloutStatus(dep({ updatedReplicas: 3, replicas: 3, availableReplicas: 2 })).message).toMatch(
      /2 of 3 updated replicas are available/,
    );
    expect(rolloutStatus(dep({ updatedReplicas: 3, replicas: 3, availableReplicas: 3 }))).toEqual({
      done: true,
      message: 'deployment "web" successfully rolled out',
    });
  });
});
