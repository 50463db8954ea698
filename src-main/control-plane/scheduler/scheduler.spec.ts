// The scheduler end to end over the in-memory fake API (real informers, queue, cache and binding).
// The same behaviour against the real API server is in tests/scheduler.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { createEventRecorder } from '../../shared/kube/events';
import { createFakeKubeApi, waitFor } from '../../shared/kube/testing';
import type { FakeKubeApi } from '../../shared/kube/testing';
import type { CoreEvent, Node, StoredPod as Pod } from '../../shared/kube/objects';
import { RESOURCES } from '../../shared/resources';
import type { ResourceInfo } from '../../shared/resources';
import { lastDecision } from './decisions';
import { SUCCESS, unschedulable } from './framework/status';
import type { PluginFactory } from './framework/types';
import { DEFAULT_PLUGINS } from './plugins/registry';
import { startScheduler } from './scheduler';
import type { Scheduler } from './scheduler';
import { makeNode, makePod } from './testing/fixtures';

const res = (kind: string) => RESOURCES.find((r) => r.group === '' && r.kind === kind) as ResourceInfo;
const PODS = res('Pod');
const NODES = res('Node');
const EVENTS = res('Event');

let running: Scheduler | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(api: FakeKubeApi, extra: Parameters<typeof startScheduler>[1] = {}) {
  const recorder = createEventRecorder(api, { component: 'default-scheduler' });
  running = await startScheduler(api, { recorder, random: () => 0.5, ...extra });
  return { scheduler: running, recorder };
}

const podOf = (api: FakeKubeApi, name: string) =>
  api.objects<Pod>(PODS, 'default').find((p) => p.metadata.name === name);
const eventsFor = (api: FakeKubeApi, name: string) =>
  api
    .objects<CoreEvent>(EVENTS, 'default')
    .filter((e) => (e.involvedObject as { name?: string }).name === name);

describe('scheduler', () => {
  it('binds pending pods through pods/binding and explains the choice in a Scheduled event', async () => {
    const api = createFakeKubeApi();
    for (const n of ['n1', 'n2', 'n3']) api.seed(NODES, makeNode({ name: n }));
    const { recorder } = await start(api);
    for (let i = 0; i < 6; i++)
      await api.create(PODS, makePod({ name: `web-${i}`, owner: 'web' }), 'default');
    await waitFor(() => api.objects<Pod>(PODS, 'default').every((p) => p.spec.nodeName), 'all pods bound');
    const perNode: Record<string, number> = {};
    for (const p of api.objects<Pod>(PODS, 'default'))
      perNode[p.spec.nodeName!] = (perNode[p.spec.nodeName!] ?? 0) + 1;
    expect(perNode).toEqual({ n1: 2, n2: 2, n3: 2 });
    const bindings = api.calls.filter((c) => c.verb === 'createSubresource' && c.resource === 'pods/binding');
    expect(bindings).toHaveLength(6);
    expect(bindings[0]?.body).toMatchObject({
      kind: 'Binding',
      target: { kind: 'Node', name: expect.any(String) },
    });

    await recorder.flush();
    const web0 = podOf(api, 'web-0')!;
    const [ev] = eventsFor(api, 'web-0');
    expect(ev?.reason).toBe('Scheduled');
    expect(ev?.message).toMatch(
      new RegExp(
        `^Successfully assigned default/web-0 to ${web0.spec.nodeName} \\(score \\d+; next: n\\d \\d+, n\\d \\d+\\)$`,
      ),
    );
    const d = lastDecision(web0.metadata.uid)!;
    expect(d.outcome).toBe('Scheduled');
    expect(d.node).toBe(web0.spec.nodeName);
    expect(d.nodes).toHaveLength(3);
    expect(d.nodes.every((n) => n.filter === 'passed' && n.total !== undefined)).toBe(true);
    expect(Object.keys(d.nodes[0]!.scores!)).toEqual(
      expect.arrayContaining([
        'TaintToleration',
        'NodeResourcesFit',
        'PodTopologySpread',
        'NodeResourcesBalancedAllocation',
      ]),
    );
  });

  it('leaves pods of other schedulers and already-bound pods alone', async () => {
    const api = createFakeKubeApi();
    api.seed(NODES, makeNode({ name: 'n1' }));
    await start(api);
    await api.create(PODS, makePod({ name: 'other', spec: { schedulerName: 'my-scheduler' } }), 'default');
    await api.create(PODS, makePod({ name: 'mine' }), 'default');
    await waitFor(() => podOf(api, 'mine')?.spec.nodeName, 'mine bound');
    expect(podOf(api, 'other')?.spec.nodeName).toBeUndefined();
    expect(api.calls.filter((c) => c.verb === 'createSubresource')).toHaveLength(1);
  });

  it('keeps an unfit pod Pending with the reason, then places it as soon as a node with room joins', async () => {
    const api = createFakeKubeApi();
    api.seed(NODES, makeNode({ name: 'small', cpu: '1' }));
    const { recorder, scheduler } = await start(api);
    await api.create(PODS, makePod({ name: 'big', cpu: '2' }), 'default');
    const cond = await waitFor(
      () =>
        podOf(api, 'big')?.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False'),
      'PodScheduled=False',
    );
    const expected =
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.';
    expect(cond).toMatchObject({ reason: 'Unschedulable', message: expected });
    await recorder.flush();
    expect(eventsFor(api, 'big').map((e) => [e.type, e.reason, e.message])).toEqual([
      ['Warning', 'FailedScheduling', expected],
    ]);
    await waitFor(() => scheduler.stats().queue.unschedulable === 1, 'in the unschedulable pool');
    // A node that would not help (too small) leaves it waiting; one with room frees it at once.
    api.seed(NODES, makeNode({ name: 'small2', cpu: '1' }));
    await new Promise((r) => setTimeout(r, 20));
    expect(scheduler.stats().queue.unschedulable).toBe(1);
    const t0 = Date.now();
    api.seed(NODES, makeNode({ name: 'big-node', cpu: '8' }));
    await waitFor(() => podOf(api, 'big')?.spec.nodeName === 'big-node', 'bound to the new node', 3000);
    // Its first attempt's backoff (1 s) may still be running; it must not wait for any periodic flush.
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('retries when a node gains room: capacity grows or a pod goes away', async () => {
    const api = createFakeKubeApi();
    const node = api.seed(NODES, makeNode({ name: 'n1', cpu: '1' }));
    const hog = api.seed(PODS, {
      ...makePod({ name: 'hog', cpu: '800m' }),
      spec: { ...makePod({ cpu: '800m' }).spec, nodeName: 'n1' },
    });
    const { scheduler } = await start(api, { initialBackoffMs: 10, maxBackoffMs: 10 });
    await api.create(PODS, makePod({ name: 'p1', cpu: '500m' }), 'default');
    await api.create(PODS, makePod({ name: 'p2', cpu: '1500m' }), 'default');
    await waitFor(() => scheduler.stats().queue.unschedulable === 2, 'both waiting');
    await api.delete(PODS, hog.metadata!.name!, 'default');
    await waitFor(() => podOf(api, 'p1')?.spec.nodeName === 'n1', 'p1 placed after the hog left');
    expect(podOf(api, 'p2')?.spec.nodeName).toBeUndefined();
    await api.patch<Node>(
      NODES,
      'n1',
      undefined,
      { status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } },
      'merge',
      'status',
    );
    void node;
    await waitFor(() => podOf(api, 'p2')?.spec.nodeName === 'n1', 'p2 placed after capacity grew');
  });

  it('frees a pod when a taint it does not tolerate is removed', async () => {
    const api = createFakeKubeApi();
    api.seed(NODES, makeNode({ name: 'n1', taints: [{ key: 'maintenance', effect: 'NoSchedule' }] }));
    const { scheduler } = await start(api, { initialBackoffMs: 10, maxBackoffMs: 10 });
    await api.create(PODS, makePod({ name: 'p' }), 'default');
    await waitFor(() => scheduler.stats().queue.unschedulable === 1, 'waiting');
    expect(lastDecision(podOf(api, 'p')!.metadata.uid)?.nodes[0]?.filter).toEqual({
      plugin: 'TaintToleration',
      code: 'UnschedulableAndUnresolvable',
      reasons: ['node(s) had untolerated taint {maintenance: }'],
    });
    api.seed(NODES, makeNode({ name: 'n1' }));
    await waitFor(() => podOf(api, 'p')?.spec.nodeName === 'n1', 'placed once untainted');
  });

  it('forgets the assumed pod and retries after a failed binding', async () => {
    const api = createFakeKubeApi();
    api.seed(NODES, makeNode({ name: 'n1', cpu: '1' }));
    let failures = 1;
    api.reactors.push((call) => {
      if (call.verb === 'createSubresource' && failures-- > 0) throw new Error('connection reset');
    });
    const { scheduler, recorder } = await start(api, { initialBackoffMs: 20 });
    await api.create(PODS, makePod({ name: 'p', cpu: '800m' }), 'default');
    await waitFor(() => podOf(api, 'p')?.spec.nodeName === 'n1', 'bound on the second try');
    expect(scheduler.stats()).toMatchObject({ bindingFailures: 1, scheduled: 1 });
    expect(scheduler.stats().cache).toMatchObject({ assumedPods: 0, boundPods: 1 });
    await recorder.flush();
    expect(eventsFor(api, 'p').map((e) => e.reason)).toEqual(['FailedScheduling', 'Scheduled']);
  });

  it('runs reserve and unreserve plugins around binding', async () => {
    const api = createFakeKubeApi();
    api.seed(NODES, makeNode({ name: 'n1' }));
    const seen: string[] = [];
    let refuse = true;
    const gate: PluginFactory = {
      name: 'Gate',
      extensionPoints: ['reserve'],
      create: () => ({
        name: 'Gate',
        reserve: (_s, pod, node) => {
          seen.push(`reserve ${pod.key} ${node}`);
          if (refuse) {
            refuse = false;
            return unschedulable('gate closed');
          }
          return SUCCESS;
        },
        unreserve: (_s, pod) => void seen.push(`unreserve ${pod.key}`),
      }),
    };
    await start(api, { plugins: [...DEFAULT_PLUGINS, gate], initialBackoffMs: 10 });
    await api.create(PODS, makePod({ name: 'p' }), 'default');
    await waitFor(() => podOf(api, 'p')?.spec.nodeName, 'bound');
    expect(seen).toEqual(['reserve default/p n1', 'unreserve default/p', 'reserve default/p n1']);
  });

  it('does not write the same PodScheduled=False condition again on every attempt', async () => {
    const api = createFakeKubeApi();
    api.seed(NODES, makeNode({ name: 'n1', cpu: '1' }));
    await start(api, { initialBackoffMs: 5, maxBackoffMs: 5, maxUnschedulableMs: 10 });
    await api.create(PODS, makePod({ name: 'p', cpu: '2' }), 'default');
    await waitFor(() => podOf(api, 'p')?.status?.conditions?.length, 'condition written');
    // Retries (the safety net runs every 10 ms here, and a node update) fail the same way: no rewrite.
    api.seed(NODES, { ...makeNode({ name: 'n1', cpu: '1' }), metadata: { name: 'n1', labels: { x: 'y' } } });
    await new Promise((r) => setTimeout(r, 50));
    const patches = api.calls.filter((c) => c.verb === 'patch' && c.resource === 'pods');
    expect(patches).toHaveLength(1);
  });
});
