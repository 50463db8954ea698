import { describe, expect, it } from 'vitest';
import { createFakeKubeApi } from '../../../../src-main/shared/kube/testing';
import type { Node, Pod } from '../../lib/kube-types';
import { R } from '../../lib/resources';
import { KubeApiError } from '../../../../src-main/shared/kube/types';
import { evictionNotServed, evictPod, planDrain, runDrain, setUnschedulable } from './drain';

function pod(name: string, node: string, extra: Partial<Pod['metadata']> = {}, phase = 'Running'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...extra },
    spec: { nodeName: node, containers: [{ name: 'c' }] },
    status: { phase },
  };
}
const owned = (kind: string, name: string) => ({
  ownerReferences: [{ kind, name, uid: `${name}-uid`, controller: true }],
});

describe('planDrain', () => {
  it('evicts what a controller will re-create elsewhere, leaves DaemonSet and mirror pods', () => {
    const plan = planDrain('n1', [
      pod('web-1', 'n1', owned('ReplicaSet', 'web-abc')),
      pod('agent-x', 'n1', owned('DaemonSet', 'agent')),
      pod('static', 'n1', { annotations: { 'kubernetes.io/config.mirror': 'abc' } }),
      pod('bare', 'n1'),
      pod('done', 'n1', {}, 'Succeeded'),
      pod('leaving', 'n1', { ...owned('ReplicaSet', 'web-abc'), deletionTimestamp: '2026-01-01T00:00:00Z' }),
      pod('elsewhere', 'n2', owned('ReplicaSet', 'web-abc')),
    ]);
    expect(plan.evict.map((e) => e.name)).toEqual(['bare', 'done', 'web-1']);
    expect(plan.evict.find((e) => e.name === 'bare')!.warning).toMatch(/not managed/);
    expect(plan.evict.find((e) => e.name === 'done')!.warning).toBeUndefined();
    expect(plan.skipped).toEqual([
      { namespace: 'default', name: 'agent-x', reason: 'runs on every node (DaemonSet agent)' },
      { namespace: 'default', name: 'leaving', reason: 'already terminating' },
      { namespace: 'default', name: 'static', reason: 'static (mirror) pod of the node' },
    ]);
  });
});

describe('cordon and drain against an API', () => {
  it('cordons, uncordons (field removed) and drains, deleting where eviction is not served', async () => {
    const api = createFakeKubeApi();
    api.seed(R.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: {} } as Node);
    api.seed(R.pods, pod('web-1', 'n1', owned('ReplicaSet', 'web-abc')));
    api.seed(R.pods, pod('agent-x', 'n1', owned('DaemonSet', 'agent')));

    await setUnschedulable(api, 'n1', true);
    expect((await api.get<Node>(R.nodes, 'n1')).spec?.unschedulable).toBe(true);
    await setUnschedulable(api, 'n1', false);
    expect((await api.get<Node>(R.nodes, 'n1')).spec).not.toHaveProperty('unschedulable');

    const plan = planDrain('n1', (await api.list<Pod>(R.pods)).items);
    const progress: number[] = [];
    const result = await runDrain(api, plan, (done) => progress.push(done));
    expect(result.failed).toBe(0);
    expect(progress).toEqual([1]);
    expect((await api.get<Node>(R.nodes, 'n1')).spec?.unschedulable).toBe(true);
    const left = (await api.list<Pod>(R.pods)).items.map((p) => p.metadata.name);
    expect(left).toEqual(['agent-x']);
    expect(await evictPod(api, 'default', 'web-1')).toBe('gone');
  });
});

describe('evictionNotServed', () => {
  const err = (code: number, message: string) =>
    new KubeApiError(code, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      code,
      message,
    });
  it('falls back to delete only when the server has no eviction API, not when it says "not now"', () => {
    expect(evictionNotServed(err(404, 'the server could not find the requested resource'))).toBe(true);
    expect(
      evictionNotServed(
        err(503, 'pods/eviction is served by the node agent, which is not available in this build yet'),
      ),
    ).toBe(true);
    expect(evictionNotServed(err(503, 'etcdserver: leader changed'))).toBe(false);
    expect(
      evictionNotServed(err(429, 'Cannot evict pod as it would violate the pod disruption budget')),
    ).toBe(false);
  });
});
