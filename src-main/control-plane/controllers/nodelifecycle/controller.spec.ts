import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../platform/logger';
import type { CoreEvent, Lease, Node, Pod, Toleration } from '../../../shared/kube/objects';
import { createFakeKubeApi, waitFor } from '../../../shared/kube/testing';
import type { FakeKubeApi } from '../../../shared/kube/testing';
import { createFakeClock } from '../../workqueue/clock';
import type { FakeClock } from '../../workqueue/clock';
import { startControllerManager } from '../controller-manager';
import type { ControllerManager } from '../controller-manager';
import { EVENTS, PODS } from '../framework/resources';
import { createNodeLifecycleController } from './controller';
import { LEASES, NODE_LEASE_NAMESPACE, NODES } from '../framework/resources';
import { TAINT_UNREACHABLE } from './taints';
import { timestamp } from './types';

const T0 = Date.parse('2030-01-01T00:00:00Z');
let manager: ControllerManager | undefined;
afterEach(async () => {
  await manager?.stop();
  manager = undefined;
});

interface Rig {
  api: FakeKubeApi;
  clock: FakeClock;
  beat(): Promise<void>;
  postReady(heartbeatMs: number): Promise<void>;
  node(): Node;
  pod(name: string): Pod | undefined;
  events(reason: string): CoreEvent[];
  /** Moves fake time and lets the workers run. */
  advance(ms: number): Promise<void>;
}

async function rig(): Promise<Rig> {
  const clock = createFakeClock(T0);
  const api = createFakeKubeApi({ now: () => new Date(clock.now()) });
  const ready = (hb: number) => ({
    type: 'Ready',
    status: 'True' as const,
    reason: 'KubeletReady',
    lastHeartbeatTime: timestamp(hb),
    lastTransitionTime: timestamp(T0),
  });
  api.seed<Node>(NODES, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1' },
    spec: {},
    status: { conditions: [ready(T0)] },
  });
  api.seed<Lease>(LEASES, {
    metadata: { name: 'n1', namespace: NODE_LEASE_NAMESPACE },
    spec: { holderIdentity: 'n1', renewTime: timestamp(T0) },
  });
  const tolerate = (seconds?: number): Toleration[] => [
    {
      key: TAINT_UNREACHABLE,
      operator: 'Exists',
      effect: 'NoExecute',
      ...(seconds !== undefined ? { tolerationSeconds: seconds } : {}),
    },
  ];
  const pods: [string, Toleration[]][] = [
    ['none', []],
    ['thirty', tolerate(30)],
    ['forever', tolerate()],
  ];
  for (const [name, tolerations] of pods) {
    api.seed<Pod>(PODS, {
      metadata: { name, namespace: 'default' },
      spec: { nodeName: 'n1', tolerations },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    });
  }
  manager = await startControllerManager({
    api,
    log: silentLogger,
    clock,
    host: 'test',
    controllers: ['nodelifecycle'],
    registry: { nodelifecycle: (ctx) => createNodeLifecycleController(ctx) },
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
  return {
    api,
    clock,
    async beat() {
      const lease = (await api.get<Lease>(LEASES, 'n1', NODE_LEASE_NAMESPACE)) as Lease;
      await api.update(LEASES, { ...lease, spec: { ...lease.spec, renewTime: timestamp(clock.now()) } });
      await settle();
    },
    async postReady(heartbeatMs) {
      const node = await api.get<Node>(NODES, 'n1');
      await api.updateStatus(NODES, { ...node, status: { conditions: [ready(heartbeatMs)] } });
      await settle();
    },
    node: () => api.objects<Node>(NODES)[0] as Node,
    pod: (name) => api.objects<Pod>(PODS).find((p) => p.metadata.name === name),
    events: (reason) => api.objects<CoreEvent>(EVENTS).filter((e) => e.reason === reason),
    async advance(ms) {
      clock.advance(ms);
      await settle();
    },
  };
}

const readyStatus = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status;

describe('node lifecycle controller (fake API, fake clock)', () => {
  it('marks a silent node Unknown after the grace period, counted from its last heartbeat', async () => {
    const r = await rig();
    await r.advance(10_000);
    await r.beat(); // t=10 s
    await r.advance(15_000); // t=25 s: 15 s since the last beat
    expect(readyStatus(r.node())).toBe('True');
    await r.advance(6_000); // t=31 s: 21 s since the last beat
    await waitFor(() => readyStatus(r.node()) === 'Unknown', 'Ready=Unknown');
    const cond = r.node().status?.conditions?.find((c) => c.type === 'Ready');
    expect(cond).toMatchObject({
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
    });
    await waitFor(
      () => r.events('NodeNotReady').some((e) => e.involvedObject.kind === 'Node'),
      'a NodeNotReady event',
    );
  });

  it('evicts by toleration: untolerated at once, 30 s later, never; and no flapping on a stale Ready', async () => {
    const r = await rig();
    await r.advance(21_000);
    await waitFor(
      () => r.node().spec?.taints?.some((t) => t.key === TAINT_UNREACHABLE && t.effect === 'NoExecute'),
      'the NoExecute taint',
    );
    const taint = r.node().spec?.taints?.find((t) => t.effect === 'NoExecute');
    expect(taint?.timeAdded).toBe(timestamp(T0 + 21_000));
    await waitFor(() => !r.pod('none'), 'the pod without a toleration to be evicted at once');
    const eviction = r.events('TaintManagerEviction')[0];
    expect(eviction?.message).toBe('Marking for deletion Pod default/none');

    await r.advance(29_000);
    expect(r.pod('thirty')).toBeDefined();
    await r.advance(1_100);
    await waitFor(() => !r.pod('thirty'), 'the 30 s pod to go after 30 s');
    const forever = r.pod('forever');
    expect(forever?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');

    // A late status write carrying an old heartbeat is not a heartbeat: the node stays tainted.
    await r.postReady(T0);
    await r.advance(2_100);
    await waitFor(() => readyStatus(r.node()) === 'Unknown', 'the stale Ready to be marked Unknown again');
    expect(r.node().spec?.taints?.length).toBe(2);
    expect(r.events('TaintRemoved')).toHaveLength(0);

    // A real return: lease renewed and a fresh Ready. The taints go, the tolerating pod stays.
    await r.beat();
    await r.postReady(r.clock.now());
    await waitFor(() => (r.node().spec?.taints ?? []).length === 0, 'the taints to be removed');
    await waitFor(() => r.events('NodeReady').length === 1, 'a NodeReady event');
    expect(r.pod('forever')).toBeDefined();
  });
});
