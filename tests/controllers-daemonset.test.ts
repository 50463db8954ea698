// The DaemonSet controller against the real control plane with hollow nodes and the real scheduler:
// one pod per eligible node (an affinity-excluded node and an untolerated NoSchedule taint get none),
// pods pinned to their node by required node affinity and given the daemon tolerations, status counts,
// following a node that joins and one that is deleted, and a RollingUpdate that never has more than
// maxUnavailable nodes without a ready daemon pod (checked on every change, not only at the end).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeApiFromKubeconfig } from '../src-main/control-plane/client/kubeconfig';
import { startControllerManager } from '../src-main/control-plane/controllers';
import type { ControllerManager } from '../src-main/control-plane/controllers';
import { createDaemonSetController } from '../src-main/control-plane/controllers/daemonset';
import type { DaemonSet } from '../src-main/control-plane/controllers/daemonset/controller';
import { startScheduler } from '../src-main/control-plane/scheduler';
import type { Scheduler } from '../src-main/control-plane/scheduler';
import { createInformer } from '../src-main/shared/kube/informer';
import type { NodeTransport } from '../src-main/shared/node/https-transport';
import type { CoreEvent, Pod } from '../src-main/shared/kube/objects';
import { waitFor } from '../src-main/shared/kube/testing';
import type { KubeApi } from '../src-main/shared/kube/types';
import { RESOURCES } from '../src-main/shared/resources';
import type { ResourceInfo } from '../src-main/shared/resources';
import { startTestControlPlane, testLogger } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';
import { startHollowNodes } from './support/hollow-nodes';
import type { HollowNodeOptions, HollowNodes } from './support/hollow-nodes';

const r = (plural: string) => RESOURCES.find((x) => x.plural === plural) as ResourceInfo;
const PODS = r('pods');
const NODES = r('nodes');
const EVENTS = r('events');
const DAEMONSETS = r('daemonsets');
const NS = 'default';

let cp: TestControlPlane;
let api: KubeApi;
let transport: NodeTransport;
let manager: ControllerManager;
let scheduler: Scheduler;
const fleets: HollowNodes[] = [];

async function fleet(
  options: Partial<HollowNodeOptions> & { count: number; namePrefix: string },
): Promise<HollowNodes> {
  const f = await startHollowNodes(api, {
    capacity: { cpu: '4', memory: '8Gi', pods: 110 },
    heartbeatSeconds: 5,
    ...options,
  });
  fleets.push(f);
  return f;
}

beforeAll(async () => {
  cp = await startTestControlPlane();
  ({ api, transport } = await kubeApiFromKubeconfig(cp.kubeconfigPath));
  const log = testLogger();
  await fleet({ count: 3, namePrefix: 'ds-' });
  await fleet({ count: 1, namePrefix: 'edge-', labels: { role: 'edge' } });
  await fleet({
    count: 1,
    namePrefix: 'gpu-',
    taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
  });
  manager = await startControllerManager({
    api,
    log,
    controllers: ['daemonset'],
    registry: { daemonset: (ctx) => createDaemonSetController(ctx) },
  });
  scheduler = await startScheduler(api);
});

afterAll(async () => {
  await scheduler?.close();
  await manager?.stop();
  for (const f of fleets) await f.stop();
  transport?.close();
  await cp?.dispose();
});

async function daemonPods(): Promise<Pod[]> {
  return (await api.list<Pod>(PODS, { namespace: NS, labelSelector: 'app=agent' })).items.filter(
    (p) => !p.metadata.deletionTimestamp,
  );
}

const pinnedNode = (p: Pod) =>
  (
    p.spec as {
      affinity?: {
        nodeAffinity?: {
          requiredDuringSchedulingIgnoredDuringExecution?: {
            nodeSelectorTerms: { matchFields?: { values?: string[] }[] }[];
          };
        };
      };
    }
  ).affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]
    ?.matchFields?.[0]?.values?.[0];

async function statusIs(want: Partial<NonNullable<DaemonSet['status']>>): Promise<DaemonSet> {
  return waitFor(
    async () => {
      const ds = await api.get<DaemonSet>(DAEMONSETS, 'agent', NS);
      // Only a status written for the current spec counts.
      if (ds.status?.observedGeneration !== ds.metadata.generation) return undefined;
      return Object.entries(want).every(
        ([k, v]) => (ds.status as Record<string, unknown> | undefined)?.[k] === v,
      )
        ? ds
        : undefined;
    },
    `DaemonSet status ${JSON.stringify(want)}`,
    20_000,
    50,
  );
}

describe('DaemonSet', () => {
  it('runs one pod per eligible node, follows nodes, and rolls updates within maxUnavailable', async () => {
    await api.create<DaemonSet>(DAEMONSETS, {
      metadata: { name: 'agent', namespace: NS },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: {
            containers: [{ name: 'agent', image: 'busybox:1' }],
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    { matchExpressions: [{ key: 'role', operator: 'NotIn', values: ['edge'] }] },
                  ],
                },
              },
            },
          },
        },
      },
    });
    const ds = await statusIs({
      desiredNumberScheduled: 3,
      currentNumberScheduled: 3,
      numberReady: 3,
      updatedNumberScheduled: 3,
      numberAvailable: 3,
      numberMisscheduled: 0,
    });
    expect(ds.status?.observedGeneration).toBe(ds.metadata.generation);
    const pods = await daemonPods();
    expect(pods.map((p) => p.spec?.nodeName).sort()).toEqual(['ds-0', 'ds-1', 'ds-2']);
    for (const p of pods) {
      expect(pinnedNode(p)).toBe(p.spec?.nodeName);
      const keys = ((p.spec as { tolerations?: { key?: string; effect?: string }[] }).tolerations ?? []).map(
        (t) => `${t.key}:${t.effect}`,
      );
      expect(keys).toEqual(
        expect.arrayContaining([
          'node.kubernetes.io/not-ready:NoExecute',
          'node.kubernetes.io/unreachable:NoExecute',
          'node.kubernetes.io/disk-pressure:NoSchedule',
          'node.kubernetes.io/memory-pressure:NoSchedule',
          'node.kubernetes.io/pid-pressure:NoSchedule',
          'node.kubernetes.io/unschedulable:NoSchedule',
        ]),
      );
    }

    // A node joins: it gets a pod. It is deleted: its pod goes.
    const extra = await fleet({ count: 1, namePrefix: 'ds-extra-' });
    await statusIs({ desiredNumberScheduled: 4, numberReady: 4 });
    expect((await daemonPods()).some((p) => p.spec?.nodeName === 'ds-extra-0')).toBe(true);
    await extra.stop();
    await api.delete(NODES, 'ds-extra-0');
    await statusIs({ desiredNumberScheduled: 3, currentNumberScheduled: 3 });
    await waitFor(
      async () =>
        (await daemonPods()).every(
          (p) => p.spec?.nodeName !== 'ds-extra-0' && pinnedNode(p) !== 'ds-extra-0',
        ),
      'the pod of the deleted node to go',
      10_000,
      50,
    );

    // Rolling update: watch every pod change and check that at most one node lacks a ready pod.
    const oldHash = (await daemonPods())[0]?.metadata.labels?.['controller-revision-hash'];
    const watcher = createInformer<Pod>(api, PODS, { namespace: NS, labelSelector: 'app=agent' });
    let worst = 0;
    const check = () => {
      const readyOn = new Set(
        watcher.lister
          .list()
          .filter(
            (p) =>
              !p.metadata.deletionTimestamp &&
              p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
          )
          .map((p) => p.spec?.nodeName),
      );
      worst = Math.max(worst, ['ds-0', 'ds-1', 'ds-2'].filter((n) => !readyOn.has(n)).length);
    };
    watcher.addHandlers({ onAdd: check, onUpdate: check, onDelete: check });
    await watcher.start();
    // The initial list fills the cache one pod at a time: start counting from the full picture.
    worst = 0;
    check();
    expect(worst).toBe(0);
    try {
      await api.patch(
        DAEMONSETS,
        'agent',
        NS,
        { spec: { template: { spec: { containers: [{ name: 'agent', image: 'busybox:2' }] } } } },
        'strategic',
      );
      const done = await statusIs({
        updatedNumberScheduled: 3,
        numberReady: 3,
        numberAvailable: 3,
        desiredNumberScheduled: 3,
      });
      expect(done.status?.observedGeneration).toBe(done.metadata.generation);
      const after = await daemonPods();
      expect(after).toHaveLength(3);
      expect(new Set(after.map((p) => p.metadata.labels?.['controller-revision-hash']))).toEqual(
        new Set([after[0]?.metadata.labels?.['controller-revision-hash']]),
      );
      expect(after[0]?.metadata.labels?.['controller-revision-hash']).not.toBe(oldHash);
      expect(worst).toBe(1);
    } finally {
      watcher.stop();
    }

    const events = (await api.list<CoreEvent>(EVENTS, { namespace: NS })).items.filter(
      (e) => e.source?.component === 'daemonset-controller',
    );
    expect(
      events.some((e) => e.reason === 'SuccessfulCreate' && /for node ds-extra-0/.test(e.message ?? '')),
    ).toBe(true);
    expect(
      events.some((e) => e.reason === 'SuccessfulDelete' && /rolling update/.test(e.message ?? '')),
    ).toBe(true);
  }, 90_000);
});
