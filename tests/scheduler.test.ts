// The scheduler against the real control plane (API server over HTTPS, SQLite store) with hollow
// nodes: spreading, explanations for unschedulable pods, event-driven retries, taints, selectors,
// affinity, host ports, and what `kubectl describe pod` shows.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kubeApiFromKubeconfig } from '../src-main/control-plane/client/kubeconfig';
import { startScheduler } from '../src-main/control-plane/scheduler';
import type { Scheduler } from '../src-main/control-plane/scheduler';
import type { Pod, PodSpec } from '../src-main/control-plane/scheduler/api-types';
import type { CoreEvent } from '../src-main/shared/kube/objects';
import { waitFor } from '../src-main/shared/kube/testing';
import type { KubeApi, KubeObjectLike } from '../src-main/shared/kube/types';
import { RESOURCES } from '../src-main/shared/resources';
import type { ResourceInfo } from '../src-main/shared/resources';
import { startTestControlPlane } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';
import { startHollowNodes } from './support/hollow-nodes';
import type { HollowNodeOptions, HollowNodes } from './support/hollow-nodes';
import { kubectlRunner } from './support/kubectl';
import { requireTool } from './support/tools';

const res = (kind: string) => RESOURCES.find((r) => r.group === '' && r.kind === kind) as ResourceInfo;
const PODS = res('Pod');
const EVENTS = res('Event');
const CONFIGMAPS = res('ConfigMap');
const kubectlTool = requireTool('kubectl', 'install kubectl v1.32 at /usr/bin/kubectl');

let cp: TestControlPlane;
let api: KubeApi;
let closeTransport: () => void;
let scheduler: Scheduler;
const fleets: HollowNodes[] = [];

beforeEach(async () => {
  cp = await startTestControlPlane();
  const client = await kubeApiFromKubeconfig(cp.kubeconfigPath);
  api = client.api;
  closeTransport = () => client.transport.close();
  scheduler = await startScheduler(api);
});

afterEach(async () => {
  await scheduler?.close();
  for (const f of fleets.splice(0)) await f.stop();
  closeTransport?.();
  await cp?.dispose();
});

async function nodes(
  options: Partial<HollowNodeOptions> & { count: number; namePrefix: string },
): Promise<HollowNodes> {
  const fleet = await startHollowNodes(api, {
    capacity: { cpu: '2', memory: '4Gi', pods: 110 },
    heartbeatSeconds: 5,
    ...options,
  });
  fleets.push(fleet);
  return fleet;
}

function pod(
  name: string,
  spec: Partial<PodSpec> = {},
  extra: { cpu?: string; labels?: Record<string, string>; owner?: KubeObjectLike; hostPort?: number } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: '',
      labels: extra.labels,
      ...(extra.owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'v1',
                kind: 'ConfigMap',
                name: extra.owner.metadata!.name!,
                uid: extra.owner.metadata!.uid!,
                controller: true,
              },
            ],
          }
        : {}),
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'busybox:hollow',
          resources: { requests: { cpu: extra.cpu ?? '100m', memory: '64Mi' } },
          ...(extra.hostPort
            ? { ports: [{ containerPort: 80, hostPort: extra.hostPort, protocol: 'TCP' as const }] }
            : {}),
        },
      ],
      ...spec,
    },
  };
}

async function create(p: Pod): Promise<Pod> {
  const { uid: _uid, ...metadata } = p.metadata;
  void _uid;
  return api.create<Pod>(PODS, { ...p, metadata } as Pod, 'default');
}

const getPod = (name: string) => api.get<Pod>(PODS, name, 'default');

async function eventsFor(name: string): Promise<CoreEvent[]> {
  const list = await api.list<CoreEvent>(EVENTS, { namespace: 'default' });
  return list.items.filter((e) => (e.involvedObject as { name?: string }).name === name);
}

async function waitBound(name: string, timeoutMs = 5000): Promise<string> {
  return waitFor(async () => (await getPod(name)).spec.nodeName, `${name} to be bound`, timeoutMs, 20);
}

async function waitPendingWith(name: string, message: string): Promise<void> {
  const cond = await waitFor(
    async () =>
      (await getPod(name)).status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False'),
    `${name} PodScheduled=False`,
    5000,
    20,
  );
  expect(cond).toMatchObject({ reason: 'Unschedulable', message });
  expect((await getPod(name)).spec.nodeName).toBeUndefined();
}

describe('scheduler against the real API server', () => {
  it('spreads 6 replicas of a workload 2/2/2 over 3 hollow nodes, which report them Running', async () => {
    await nodes({ count: 3, namePrefix: 'worker-' });
    // The workload owner: any object works for the default spread (it groups by controller owner);
    // a ConfigMap keeps this test independent of whether the ReplicaSet controller runs.
    const owner = await api.create<KubeObjectLike>(
      CONFIGMAPS,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' } },
      'default',
    );
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => create(pod(`web-${i}`, {}, { owner, labels: { app: 'web' } }))),
    );
    const placed = await Promise.all(Array.from({ length: 6 }, (_, i) => waitBound(`web-${i}`)));
    const perNode: Record<string, number> = {};
    for (const n of placed) perNode[n] = (perNode[n] ?? 0) + 1;
    expect(perNode).toEqual({ 'worker-0': 2, 'worker-1': 2, 'worker-2': 2 });
    for (let i = 0; i < 6; i++) {
      const p = await waitFor(async () => {
        const got = await getPod(`web-${i}`);
        return got.status?.phase === 'Running' ? got : undefined;
      }, `web-${i} Running`);
      expect(p.status?.podIP).toMatch(/^10\.24\d\.\d+\.\d+$/);
      expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    }
    const events = await waitFor(async () => {
      const ev = await eventsFor('web-0');
      return ev.length > 0 ? ev : undefined;
    }, 'a Scheduled event');
    expect(events[0]?.reason).toBe('Scheduled');
    expect(events[0]?.message).toMatch(
      /^Successfully assigned default\/web-0 to worker-\d \(score \d+; next: worker-\d \d+, worker-\d \d+\)$/,
    );
    expect(events[0]?.reportingComponent).toBe('default-scheduler');
    const decision = scheduler.lastDecision((await getPod('web-0')).metadata.uid)!;
    expect(decision.nodes.map((n) => n.node).sort()).toEqual(['worker-0', 'worker-1', 'worker-2']);
  });

  it('keeps a pod that fits nowhere Pending with the exact explanation, and places it as soon as a node with room joins', async () => {
    await nodes({
      count: 1,
      namePrefix: 'control-plane-',
      capacity: { cpu: '8', memory: '16Gi', pods: 110 },
      taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
    });
    await nodes({ count: 2, namePrefix: 'small-' });
    await create(pod('big', {}, { cpu: '3' }));
    const expected =
      '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. ' +
      'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.';
    await waitPendingWith('big', expected);
    const failed = await waitFor(
      async () => (await eventsFor('big')).find((e) => e.reason === 'FailedScheduling'),
      'FailedScheduling event',
    );
    expect(failed).toMatchObject({ type: 'Warning', message: expected });
    await waitFor(
      () => scheduler.stats().queue.unschedulable === 1,
      'the pod waiting in the unschedulable pool',
    );

    // Event-driven: the pod moves the moment the roomy node registers (its first backoff is 1 s).
    const joined = Date.now();
    await nodes({ count: 1, namePrefix: 'roomy-', capacity: { cpu: '4', memory: '8Gi', pods: 110 } });
    expect(await waitBound('big', 3000)).toBe('roomy-0');
    expect(Date.now() - joined).toBeLessThan(3000);
    await waitFor(async () => (await getPod('big')).status?.phase === 'Running', 'big Running');
  });

  it('places pods again when room frees up: a pod deleted on a full node', async () => {
    await nodes({ count: 1, namePrefix: 'only-' });
    await create(pod('first', {}, { cpu: '1500m' }));
    await waitBound('first');
    await create(pod('second', {}, { cpu: '1500m' }));
    await waitPendingWith(
      'second',
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
    await api.delete(PODS, 'first', 'default');
    expect(await waitBound('second', 13_000)).toBe('only-0');
  });

  it('honours taints and tolerations', async () => {
    await nodes({
      count: 1,
      namePrefix: 'gpu-',
      taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
      labels: { pool: 'gpu' },
    });
    await nodes({ count: 1, namePrefix: 'general-' });
    await create(pod('plain-1'));
    await create(pod('plain-2'));
    await create(
      pod('gpu-job', {
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
        nodeSelector: { pool: 'gpu' },
      }),
    );
    expect(await waitBound('plain-1')).toBe('general-0');
    expect(await waitBound('plain-2')).toBe('general-0');
    expect(await waitBound('gpu-job')).toBe('gpu-0');
    await create(pod('no-toleration', { nodeSelector: { pool: 'gpu' } }));
    await waitPendingWith(
      'no-toleration',
      "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: gpu}. " +
        'preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
  });

  it('honours nodeSelector and required node affinity', async () => {
    await nodes({
      count: 2,
      namePrefix: 'ssd-',
      labels: { disk: 'ssd', 'topology.kubernetes.io/zone': 'z1' },
    });
    await nodes({
      count: 2,
      namePrefix: 'hdd-',
      labels: { disk: 'hdd', 'topology.kubernetes.io/zone': 'z2' },
    });
    await create(pod('wants-ssd', { nodeSelector: { disk: 'ssd' } }));
    await create(
      pod('wants-z2', {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['z2'] }],
                },
              ],
            },
          },
        },
      }),
    );
    expect(await waitBound('wants-ssd')).toMatch(/^ssd-\d$/);
    expect(await waitBound('wants-z2')).toMatch(/^hdd-\d$/);
    await create(pod('wants-nvme', { nodeSelector: { disk: 'nvme' } }));
    await waitPendingWith(
      'wants-nvme',
      "0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.",
    );
  });

  it('never puts two pods on one node port', async () => {
    await nodes({ count: 2, namePrefix: 'edge-' });
    await create(pod('ingress-1', {}, { hostPort: 8080 }));
    await create(pod('ingress-2', {}, { hostPort: 8080 }));
    await create(pod('ingress-3', {}, { hostPort: 8080 }));
    const placed = new Set<string>();
    const pending: string[] = [];
    await waitFor(async () => {
      placed.clear();
      pending.length = 0;
      for (const n of ['ingress-1', 'ingress-2', 'ingress-3']) {
        const p = await getPod(n);
        if (p.spec.nodeName) placed.add(p.spec.nodeName);
        else if (p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False'))
          pending.push(n);
      }
      return placed.size === 2 && pending.length === 1;
    }, 'two pods on two nodes and one pending');
    const cond = (await getPod(pending[0]!)).status?.conditions?.find((c) => c.type === 'PodScheduled');
    expect(cond?.message).toBe(
      "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports. " +
        'preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    );
  });

  it.skipIf(!!kubectlTool.skipReason)('kubectl describe pod shows the scheduling events', async () => {
    const kubectl = kubectlRunner(kubectlTool.path!, cp.kubeconfigPath);
    await nodes({ count: 2, namePrefix: 'desc-' });
    await create(pod('described'));
    const node = await waitBound('described');
    await create(pod('too-big', {}, { cpu: '64' }));
    await waitFor(
      async () => (await eventsFor('described')).length > 0 && (await eventsFor('too-big')).length > 0,
      'events written',
    );

    const ok = await kubectl(['describe', 'pod', 'described', '-n', 'default']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`Node:\\s+${node}/`));
    expect(ok.stdout).toMatch(
      new RegExp(
        `Normal\\s+Scheduled\\s+\\S+\\s+default-scheduler\\s+Successfully assigned default/described to ${node} \\(score \\d+; next: desc-\\d \\d+\\)`,
      ),
    );

    const bad = await kubectl(['describe', 'pod', 'too-big', '-n', 'default']);
    expect(bad.code).toBe(0);
    expect(bad.stdout).toMatch(/Status:\s+Pending/);
    expect(bad.stdout).toMatch(
      /Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/2 nodes are available: 2 Insufficient cpu\./,
    );
    expect(bad.stdout).toMatch(/PodScheduled\s+False/);
  });
});
