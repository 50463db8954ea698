// The garbage collector against the real control plane: deleting a Deployment-like owner removes its
// ReplicaSet and pods (background), foreground deletion keeps the owner until every blocking
// dependent is gone, orphan deletion keeps the dependents and strips their references, a reference
// whose uid does not match the live owner counts as gone, and a dependent with one live owner left
// survives. Only the garbage collector runs: no workload controllers, scheduler or kubelet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeApiFromKubeconfig } from '../src-main/control-plane/client/kubeconfig';
import { startControllerManager } from '../src-main/control-plane/controllers';
import type { ControllerManager } from '../src-main/control-plane/controllers';
import { createGarbageCollector } from '../src-main/control-plane/controllers/garbagecollector';
import type { NodeTransport } from '../src-main/shared/node/https-transport';
import type { CoreEvent, ObjectMeta, OwnerReference } from '../src-main/shared/kube/objects';
import { waitFor } from '../src-main/shared/kube/testing';
import { isKubeApiError } from '../src-main/shared/kube/types';
import type { KubeApi, KubeObjectLike } from '../src-main/shared/kube/types';
import { RESOURCES } from '../src-main/shared/resources';
import type { ResourceInfo } from '../src-main/shared/resources';
import { startTestControlPlane, testLogger } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';

const r = (plural: string) => RESOURCES.find((x) => x.plural === plural) as ResourceInfo;
const PODS = r('pods');
const CONFIGMAPS = r('configmaps');
const DEPLOYMENTS = r('deployments');
const REPLICASETS = r('replicasets');
const EVENTS = r('events');
const NS = 'default';
const HOLD = 'test.flotilla.dev/hold';

type Obj = KubeObjectLike & { metadata: ObjectMeta };

let cp: TestControlPlane;
let api: KubeApi;
let transport: NodeTransport;
let manager: ControllerManager;

beforeAll(async () => {
  cp = await startTestControlPlane();
  ({ api, transport } = await kubeApiFromKubeconfig(cp.kubeconfigPath));
  const log = testLogger();
  manager = await startControllerManager({
    api,
    log,
    controllers: ['garbagecollector'],
    registry: { garbagecollector: (ctx) => createGarbageCollector(ctx) },
  });
});

afterAll(async () => {
  await manager?.stop();
  transport?.close();
  await cp?.dispose();
});

const ref = (
  owner: Obj,
  apiVersion: string,
  kind: string,
  extra: Partial<OwnerReference> = {},
): OwnerReference => ({
  apiVersion,
  kind,
  name: owner.metadata.name ?? '',
  uid: owner.metadata.uid ?? '',
  blockOwnerDeletion: true,
  ...extra,
});

const labels = { app: 'gc' };
const template = { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };

async function deploymentChain(
  name: string,
  podFinalizers: string[] = [],
): Promise<{ deploy: Obj; rs: Obj; pods: Obj[] }> {
  const deploy = await api.create<Obj>(DEPLOYMENTS, {
    metadata: { name, namespace: NS },
    spec: { replicas: 0, selector: { matchLabels: labels }, template },
  });
  const rs = await api.create<Obj>(REPLICASETS, {
    metadata: {
      name: `${name}-rs`,
      namespace: NS,
      ownerReferences: [ref(deploy, 'apps/v1', 'Deployment', { controller: true })],
    },
    spec: { replicas: 0, selector: { matchLabels: labels }, template },
  });
  const pods: Obj[] = [];
  for (let i = 0; i < 2; i++) {
    pods.push(
      await api.create<Obj>(PODS, {
        metadata: {
          name: `${name}-pod-${i}`,
          namespace: NS,
          labels,
          finalizers: podFinalizers,
          ownerReferences: [ref(rs, 'apps/v1', 'ReplicaSet', { controller: true })],
        },
        spec: template.spec,
      }),
    );
  }
  return { deploy, rs, pods };
}

async function gone(res: ResourceInfo, name: string): Promise<boolean> {
  try {
    await api.get(res, name, NS);
    return false;
  } catch (err) {
    if (isKubeApiError(err, 404)) return true;
    throw err;
  }
}

async function eventsFor(name: string): Promise<CoreEvent[]> {
  return (await api.list<CoreEvent>(EVENTS, { namespace: NS })).items.filter(
    (e) => e.involvedObject.name === name && e.source?.component === 'garbage-collector',
  );
}

describe('garbage collector', () => {
  it('background: deleting the owner removes its ReplicaSet, then the pods', async () => {
    const { rs, pods } = await deploymentChain('bg');
    await api.delete(DEPLOYMENTS, 'bg', NS);
    await waitFor(() => gone(REPLICASETS, 'bg-rs'), 'the ReplicaSet to be collected', 15_000, 50);
    for (const p of pods)
      await waitFor(
        () => gone(PODS, p.metadata.name ?? ''),
        `pod ${p.metadata.name} to be collected`,
        15_000,
        50,
      );
    const ev = await waitFor(
      async () => (await eventsFor(rs.metadata.name ?? '')).find((e) => e.reason === 'GarbageCollected'),
      'a GarbageCollected event',
    );
    expect(ev.message).toMatch(/owner Deployment bg is gone/);
  });

  it('foreground: the owner stays until every blocking dependent is gone', async () => {
    const { deploy, pods } = await deploymentChain('fg', [HOLD]);
    await api.delete(DEPLOYMENTS, 'fg', NS, { propagationPolicy: 'Foreground' });
    // The pods are asked to go, but a finalizer holds them: so the ReplicaSet and the Deployment wait.
    for (const p of pods) {
      await waitFor(
        async () => (await api.get<Obj>(PODS, p.metadata.name ?? '', NS)).metadata.deletionTimestamp,
        `pod ${p.metadata.name} marked for deletion`,
        15_000,
        50,
      );
    }
    const rs = await api.get<Obj>(REPLICASETS, 'fg-rs', NS);
    expect(rs.metadata.deletionTimestamp).toBeTruthy();
    expect(rs.metadata.finalizers).toContain('foregroundDeletion');
    const held = await api.get<Obj>(DEPLOYMENTS, 'fg', NS);
    expect(held.metadata.uid).toBe(deploy.metadata.uid);
    expect(held.metadata.finalizers).toContain('foregroundDeletion');

    for (const p of pods)
      await api.patch(PODS, p.metadata.name ?? '', NS, { metadata: { finalizers: null } }, 'merge');
    await waitFor(() => gone(REPLICASETS, 'fg-rs'), 'the ReplicaSet to go after its pods', 15_000, 50);
    await waitFor(() => gone(DEPLOYMENTS, 'fg'), 'the Deployment to go last', 15_000, 50);
    for (const p of pods) expect(await gone(PODS, p.metadata.name ?? '')).toBe(true);
  });

  it('orphan: the owner goes, dependents stay without the reference', async () => {
    const { rs, pods } = await deploymentChain('orph');
    await api.delete(DEPLOYMENTS, 'orph', NS, { propagationPolicy: 'Orphan' });
    await waitFor(() => gone(DEPLOYMENTS, 'orph'), 'the Deployment to be deleted', 15_000, 50);
    const kept = await api.get<Obj>(REPLICASETS, 'orph-rs', NS);
    expect(kept.metadata.uid).toBe(rs.metadata.uid);
    expect(kept.metadata.ownerReferences ?? []).toEqual([]);
    for (const p of pods) expect(await gone(PODS, p.metadata.name ?? '')).toBe(false);
    const ev = await waitFor(
      async () => (await eventsFor('orph')).find((e) => e.reason === 'OrphanedDependents'),
      'an OrphanedDependents event',
    );
    expect(ev.message).toMatch(/Orphaned 1 dependent/);
    // Cleanup goes through the collector too.
    await api.delete(REPLICASETS, 'orph-rs', NS);
    for (const p of pods)
      await waitFor(
        () => gone(PODS, p.metadata.name ?? ''),
        'orphaned pods to go with their ReplicaSet',
        15_000,
        50,
      );
  });

  it('a reference whose uid does not match the live owner is dangling', async () => {
    const owner = await api.create<Obj>(CONFIGMAPS, {
      metadata: { name: 'same-name', namespace: NS },
      data: {},
    });
    const dep = await api.create<Obj>(CONFIGMAPS, {
      metadata: {
        name: 'dangling-dep',
        namespace: NS,
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            name: 'same-name',
            uid: '00000000-dead-beef-0000-000000000000',
          },
        ],
      },
      data: {},
    });
    expect(dep.metadata.uid).toBeTruthy();
    await waitFor(
      () => gone(CONFIGMAPS, 'dangling-dep'),
      'the dependent of a different uid to be collected',
      15_000,
      50,
    );
    expect(await gone(CONFIGMAPS, 'same-name')).toBe(false);
    await api.delete(CONFIGMAPS, owner.metadata.name ?? '', NS);
  });

  it('a dependent with one live owner left survives and drops the gone one', async () => {
    const a = await api.create<Obj>(CONFIGMAPS, { metadata: { name: 'owner-a', namespace: NS }, data: {} });
    const b = await api.create<Obj>(CONFIGMAPS, { metadata: { name: 'owner-b', namespace: NS }, data: {} });
    await api.create<Obj>(CONFIGMAPS, {
      metadata: {
        name: 'two-owners',
        namespace: NS,
        ownerReferences: [ref(a, 'v1', 'ConfigMap'), ref(b, 'v1', 'ConfigMap')],
      },
      data: {},
    });
    await api.delete(CONFIGMAPS, 'owner-a', NS);
    const left = await waitFor(
      async () => {
        const o = await api.get<Obj>(CONFIGMAPS, 'two-owners', NS);
        return o.metadata.ownerReferences?.length === 1 ? o : undefined;
      },
      'the gone owner to be dropped from the references',
      15_000,
      50,
    );
    expect(left.metadata.ownerReferences?.[0]?.uid).toBe(b.metadata.uid);
    await api.delete(CONFIGMAPS, 'owner-b', NS);
    await waitFor(
      () => gone(CONFIGMAPS, 'two-owners'),
      'the dependent to go with its last owner',
      15_000,
      50,
    );
  });
});
