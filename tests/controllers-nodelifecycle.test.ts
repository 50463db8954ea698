// Node lifecycle against the real control plane with hollow nodes, the ReplicaSet controller and the
// real scheduler: a node whose Lease stops being renewed goes Ready=Unknown within the grace period
// and gets the unreachable taints; its pods are deleted when their tolerationSeconds run out (at once
// for 0, never without a limit) and the ReplicaSet's replacement lands on a healthy node; when the
// node comes back the taints go, the evicted pod finishes terminating and nothing is resurrected.
// Timings are shortened (3 s grace) so the suite runs in seconds; the logic is the same.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeApiFromKubeconfig } from '../src-main/control-plane/client/kubeconfig';
import { CONTROLLER_REGISTRY, startControllerManager } from '../src-main/control-plane/controllers';
import type { ControllerManager } from '../src-main/control-plane/controllers';
import { createNodeLifecycleController } from '../src-main/control-plane/controllers/nodelifecycle';
import type { Node, Taint } from '../src-main/control-plane/controllers/nodelifecycle/types';
import { startScheduler } from '../src-main/control-plane/scheduler';
import type { Scheduler } from '../src-main/control-plane/scheduler';
import type { NodeTransport } from '../src-main/shared/node/https-transport';
import type { CoreEvent, Pod, ReplicaSet } from '../src-main/shared/kube/objects';
import { waitFor } from '../src-main/shared/kube/testing';
import type { KubeApi } from '../src-main/shared/kube/types';
import { RESOURCES } from '../src-main/shared/resources';
import type { ResourceInfo } from '../src-main/shared/resources';
import { startTestControlPlane, testLogger } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';
import { startHollowNodes } from './support/hollow-nodes';
import type { HollowNodes } from './support/hollow-nodes';

const r = (plural: string) => RESOURCES.find((x) => x.plural === plural) as ResourceInfo;
const PODS = r('pods');
const NODES = r('nodes');
const EVENTS = r('events');
const REPLICASETS = r('replicasets');
const NS = 'default';
const GRACE_S = 3;
const UNREACHABLE = 'node.kubernetes.io/unreachable';
const NOT_READY = 'node.kubernetes.io/not-ready';

let cp: TestControlPlane;
let api: KubeApi;
let transport: NodeTransport;
let manager: ControllerManager;
let scheduler: Scheduler;
let fleet: HollowNodes;

beforeAll(async () => {
  cp = await startTestControlPlane();
  ({ api, transport } = await kubeApiFromKubeconfig(cp.kubeconfigPath));
  const log = testLogger();
  fleet = await startHollowNodes(api, {
    count: 3,
    namePrefix: 'nl-',
    capacity: { cpu: '4', memory: '8Gi', pods: 110 },
    heartbeatSeconds: 1,
  });
  manager = await startControllerManager({
    api,
    log,
    controllers: ['nodelifecycle', 'replicaset'],
    registry: {
      nodelifecycle: (ctx) =>
        createNodeLifecycleController(ctx, {
          nodeMonitorGracePeriodSeconds: GRACE_S,
          nodeMonitorPeriodSeconds: 0.5,
        }),
      replicaset: CONTROLLER_REGISTRY.replicaset!,
    },
  });
  scheduler = await startScheduler(api);
});

afterAll(async () => {
  await scheduler?.close();
  await manager?.stop();
  await fleet?.stop();
  transport?.close();
  await cp?.dispose();
});

const tolerate = (seconds: number | undefined) =>
  [UNREACHABLE, NOT_READY].map((key) => ({
    key,
    operator: 'Exists',
    effect: 'NoExecute',
    ...(seconds !== undefined ? { tolerationSeconds: seconds } : {}),
  }));

const containers = [{ name: 'c', image: 'busybox' }];

async function listPods(selector: string): Promise<Pod[]> {
  return (await api.list<Pod>(PODS, { namespace: NS, labelSelector: selector })).items;
}

describe('node lifecycle', () => {
  it('a silent node goes Unknown, is tainted, its pods are evicted per toleration and replaced elsewhere; it comes back cleanly', async () => {
    await api.create<ReplicaSet>(REPLICASETS, {
      metadata: { name: 'web', namespace: NS },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers, tolerations: tolerate(2) } },
      },
    });
    const running = await waitFor(
      async () => {
        const pods = (await listPods('app=web')).filter((p) => p.status?.phase === 'Running');
        return pods.length === 3 ? pods : undefined;
      },
      'three web pods running',
      20_000,
      50,
    );
    const victim = running[0]?.spec?.nodeName as string;
    const victimPod = running.find((p) => p.spec?.nodeName === victim) as Pod;
    const pin = (name: string, tolerations: unknown[]) =>
      api.create<Pod>(PODS, {
        metadata: { name, namespace: NS, labels: { pinned: 'yes' } },
        spec: { nodeName: victim, containers, tolerations },
      });
    await pin('zero', tolerate(0));
    await pin('forever', tolerate(undefined));
    await waitFor(
      async () => (await listPods('pinned=yes')).every((p) => p.status?.phase === 'Running'),
      'pinned pods running',
      10_000,
      50,
    );

    fleet.stopHeartbeats(victim);
    const silentAt = Date.now();
    const unknown = await waitFor(
      async () => {
        const n = await api.get<Node>(NODES, victim);
        return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown' ? n : undefined;
      },
      'the node to become Ready=Unknown',
      (GRACE_S + 5) * 1000,
      50,
    );
    const tookMs = Date.now() - silentAt;
    // The last heartbeat was at most 1 s before going silent: never earlier than grace-1, never much later than grace.
    expect(tookMs).toBeGreaterThanOrEqual((GRACE_S - 1) * 1000);
    expect(tookMs).toBeLessThan((GRACE_S + 2) * 1000);
    const ready = unknown.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
    });

    const tainted = await waitFor(
      async () => {
        const n = await api.get<Node>(NODES, victim);
        return n.spec?.taints?.some((t) => t.key === UNREACHABLE && t.effect === 'NoExecute') ? n : undefined;
      },
      'the unreachable NoExecute taint',
      5000,
      50,
    );
    const taints = tainted.spec?.taints as Taint[];
    expect(taints.map((t) => `${t.key}:${t.effect}`).sort()).toEqual([
      `${UNREACHABLE}:NoExecute`,
      `${UNREACHABLE}:NoSchedule`,
    ]);
    const taintedAt = Date.parse(taints.find((t) => t.effect === 'NoExecute')?.timeAdded ?? '');
    expect(Number.isFinite(taintedAt)).toBe(true);

    // tolerationSeconds 0: marked for deletion at once.
    await waitFor(
      async () => (await api.get<Pod>(PODS, 'zero', NS)).metadata.deletionTimestamp,
      'the pod without time to go',
      3000,
      25,
    );
    // tolerationSeconds 2: deleted two seconds after the taint (timeAdded has second precision).
    const evicted = await waitFor(
      async () => {
        const p = await api.get<Pod>(PODS, victimPod.metadata.name ?? '', NS);
        return p.metadata.deletionTimestamp ? p : undefined;
      },
      'the replica on the dead node to be evicted',
      8000,
      25,
    );
    const graceMs = (evicted.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
    expect(Date.parse(evicted.metadata.deletionTimestamp ?? '') - graceMs - taintedAt).toBeGreaterThanOrEqual(
      1000,
    );
    // No limit: stays, but is no longer Ready.
    const forever = await waitFor(
      async () => {
        const p = await api.get<Pod>(PODS, 'forever', NS);
        return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False' ? p : undefined;
      },
      'the tolerating pod to be marked not ready',
      5000,
      50,
    );
    expect(forever.metadata.deletionTimestamp).toBeUndefined();

    // The ReplicaSet replaces the evicted replica on a healthy node (the dead one is NoSchedule-tainted).
    await waitFor(
      async () => {
        const active = (await listPods('app=web')).filter((p) => !p.metadata.deletionTimestamp);
        return (
          active.length === 3 &&
          active.every((p) => p.status?.phase === 'Running' && p.spec?.nodeName !== victim)
        );
      },
      'three running replicas, none on the dead node',
      15_000,
      50,
    );

    const events = (await api.list<CoreEvent>(EVENTS, { namespace: NS })).items;
    const fromNodeController = events.filter((e) => e.source?.component === 'node-controller');
    expect(
      fromNodeController.find((e) => e.reason === 'NodeNotReady' && e.involvedObject.name === victim)
        ?.message,
    ).toBe(`Node ${victim} status is now: NodeNotReady`);
    expect(
      fromNodeController.find(
        (e) => e.reason === 'TaintManagerEviction' && e.involvedObject.name === victimPod.metadata.name,
      )?.message,
    ).toBe(`Marking for deletion Pod ${NS}/${victimPod.metadata.name}`);

    // The node comes back: taints go, the evicted pods finish terminating, nothing comes back twice.
    await fleet.resume(victim);
    await waitFor(
      async () => ((await api.get<Node>(NODES, victim)).spec?.taints ?? []).length === 0,
      'the taints to be removed',
      5000,
      50,
    );
    await waitFor(
      async () => {
        const pods = await listPods('app=web');
        return pods.length === 3 && pods.every((p) => !p.metadata.deletionTimestamp);
      },
      'the evicted replica to finish terminating',
      10_000,
      50,
    );
    const ready3 = await waitFor(
      async () => {
        const rs = await api.get<ReplicaSet>(REPLICASETS, 'web', NS);
        return rs.status?.readyReplicas === 3 ? rs : undefined;
      },
      'the ReplicaSet to be ready again',
      10_000,
      50,
    );
    expect(ready3.status?.replicas).toBe(3);
    expect((await listPods('app=web')).map((p) => p.metadata.uid)).not.toContain(victimPod.metadata.uid);
    const recovered = (await api.list<CoreEvent>(EVENTS, { namespace: 'default' })).items.filter(
      (e) => e.reason === 'NodeReady' && e.involvedObject.name === victim,
    );
    expect(recovered.length).toBe(1);

    // No flapping: over the next grace period the node stays Ready and untainted.
    const until = Date.now() + (GRACE_S + 1) * 1000;
    while (Date.now() < until) {
      const n = await api.get<Node>(NODES, victim);
      expect(n.spec?.taints ?? []).toEqual([]);
      expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect((await listPods('app=web')).length).toBe(3);
  }, 90_000);
});
