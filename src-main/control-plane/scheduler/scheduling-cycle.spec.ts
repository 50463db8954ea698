import { describe, expect, it } from 'vitest';
import type { Node, StoredPod as Pod } from '../../shared/kube/objects';
import { Framework } from './framework/framework';
import { SchedulerCache } from './internal/cache';
import { newPodInfo } from './internal/pod-info';
import { DEFAULT_PLUGINS } from './plugins/registry';
import { SchedulingAlgorithm, numFeasibleNodesToFind } from './scheduling-cycle';
import { makeNode, makePod } from './testing/fixtures';

function setup(nodes: Node[], pods: { pod: Pod; node: string }[] = []) {
  const cache = new SchedulerCache();
  for (const n of nodes) cache.addNode(n);
  for (const { pod, node } of pods) cache.upsertPod({ ...pod, spec: { ...pod.spec, nodeName: node } });
  const fw = new Framework(DEFAULT_PLUGINS, {
    handle: { nodes: () => cache.nodes(), nodeInfo: (n) => cache.nodeInfo(n) },
  });
  let r = 0;
  const algo = new SchedulingAlgorithm(fw, cache, {
    random: () => ((r = (r * 9301 + 49297) % 233280), r / 233280),
  });
  const schedule = (pod: Pod) => algo.schedule(newPodInfo(pod));
  const place = (pod: Pod) => {
    const res = schedule(pod);
    if (res.chosen === undefined) throw new Error(res.fitError);
    const name = res.feasible[res.chosen]!.name;
    cache.assumePod(newPodInfo(pod), name);
    return name;
  };
  return { cache, schedule, place };
}

const controlPlaneTaint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' as const };

describe('scheduling cycle with the default plugins', () => {
  it('explains a pod that fits nowhere in kube-scheduler words', () => {
    const { schedule } = setup([
      makeNode({ name: 'cp', taints: [controlPlaneTaint] }),
      makeNode({ name: 'n1', cpu: '1' }),
      makeNode({ name: 'n2', cpu: '1' }),
    ]);
    const r = schedule(makePod({ cpu: '2' }));
    expect(r.chosen).toBeUndefined();
    expect(r.fitError).toBe(
      '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. ' +
        'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
    );
    expect([...r.rejectors].sort()).toEqual(['NodeResourcesFit', 'TaintToleration']);
  });

  it('counts assumed pods: in-flight bindings use up room', () => {
    const { place, schedule } = setup([makeNode({ name: 'n1', cpu: '1' })]);
    expect(place(makePod({ cpu: '600m' }))).toBe('n1');
    expect(schedule(makePod({ cpu: '600m' })).fitError).toContain('1 Insufficient cpu');
  });

  it('honours the pod limit and memory', () => {
    const { place, schedule } = setup([makeNode({ name: 'n1', pods: 1, memory: '1Gi' })]);
    place(makePod({ memory: '512Mi' }));
    expect(schedule(makePod({ memory: '1Gi' })).fitError).toBe(
      '0/1 nodes are available: 1 Insufficient memory, 1 Too many pods. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
  });

  it('tolerations let a pod onto a tainted node (NoSchedule and NoExecute filter; PreferNoSchedule only scores)', () => {
    const nodes = [
      makeNode({ name: 'gpu', taints: [{ key: 'gpu', value: 'yes', effect: 'NoExecute' }] }),
      makeNode({ name: 'soft', taints: [{ key: 'busy', effect: 'PreferNoSchedule' }] }),
    ];
    const { schedule } = setup(nodes);
    for (let i = 0; i < 5; i++) expect(schedule(makePod()).feasible.map((n) => n.name)).toEqual(['soft']);
    const tolerant = makePod({
      spec: { tolerations: [{ key: 'gpu', operator: 'Equal', value: 'yes', effect: 'NoExecute' }] },
    });
    const r = schedule(tolerant);
    expect(r.feasible.map((n) => n.name).sort()).toEqual(['gpu', 'soft']);
    // Untolerated PreferNoSchedule costs the soft node its TaintToleration score.
    expect(r.feasible[r.chosen!]!.name).toBe('gpu');
    expect(schedule(makePod({ spec: { tolerations: [{ operator: 'Exists' }] } })).feasible).toHaveLength(2);
  });

  it('nodeSelector and required node affinity filter; preferred affinity scores', () => {
    const nodes = [
      makeNode({ name: 'a', labels: { disk: 'ssd', zone: 'z1' } }),
      makeNode({ name: 'b', labels: { disk: 'hdd', zone: 'z2' } }),
      makeNode({ name: 'c', labels: { disk: 'ssd', zone: 'z2' } }),
    ];
    const { schedule } = setup(nodes);
    const sel = schedule(makePod({ spec: { nodeSelector: { disk: 'ssd' } } }));
    expect(sel.feasible.map((n) => n.name).sort()).toEqual(['a', 'c']);
    expect(sel.nodeStatuses.get('b')?.reasons).toEqual(["node(s) didn't match Pod's node affinity/selector"]);

    const required = makePod({
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] }],
            },
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 50,
                preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
              },
            ],
          },
        },
      },
    });
    for (let i = 0; i < 5; i++) {
      const r = schedule(required);
      expect(r.feasible.map((n) => n.name).sort()).toEqual(['b', 'c']);
      expect(r.feasible[r.chosen!]!.name).toBe('c');
    }
    const nothing = schedule(makePod({ spec: { nodeSelector: { disk: 'nvme' } } }));
    expect(nothing.fitError).toBe(
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
  });

  it('rejects a node whose host port is taken, on any overlapping address', () => {
    const { place, schedule } = setup([makeNode({ name: 'n1' }), makeNode({ name: 'n2' })]);
    const first = place(makePod({ hostPort: 8080 }));
    const second = place(makePod({ hostPort: 8080 }));
    expect(new Set([first, second]).size).toBe(2);
    const r = schedule(makePod({ hostPort: 8080 }));
    expect(r.fitError).toContain("2 node(s) didn't have free ports for the requested pod ports");
    expect(schedule(makePod({ hostPort: 8081 })).chosen).toBeDefined();
  });

  it('skips cordoned nodes unless the pod tolerates the unschedulable taint', () => {
    const { schedule } = setup([makeNode({ name: 'n1', unschedulable: true })]);
    expect(schedule(makePod()).fitError).toContain('1 node(s) were unschedulable');
    const ds = makePod({
      spec: {
        tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
      },
    });
    expect(schedule(ds).chosen).toBeDefined();
  });

  it('spreads a workload evenly over nodes by default (6 replicas → 2/2/2)', () => {
    const { place } = setup([makeNode({ name: 'n1' }), makeNode({ name: 'n2' }), makeNode({ name: 'n3' })]);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 6; i++) {
      const n = place(makePod({ owner: 'web', labels: { app: 'web' } }));
      counts[n] = (counts[n] ?? 0) + 1;
    }
    expect(counts).toEqual({ n1: 2, n2: 2, n3: 2 });
  });

  it('spreads by owner even against unrelated load that leaves room everywhere', () => {
    const busy = Array.from({ length: 3 }, () => ({ pod: makePod({ cpu: '100m' }), node: 'n1' }));
    const { place } = setup([makeNode({ name: 'n1' }), makeNode({ name: 'n2' })], busy);
    const placed = [place(makePod({ owner: 'api' })), place(makePod({ owner: 'api' }))];
    expect(placed.sort()).toEqual(['n1', 'n2']);
  });

  it('enforces explicit DoNotSchedule topology spread constraints, and says which label is missing', () => {
    const nodes = [
      makeNode({ name: 'a', labels: { zone: 'z1' } }),
      makeNode({ name: 'b', labels: { zone: 'z2' } }),
      makeNode({ name: 'nolabel' }),
    ];
    const spread = {
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'zone',
          whenUnsatisfiable: 'DoNotSchedule' as const,
          labelSelector: { matchLabels: { app: 'db' } },
        },
      ],
    };
    const existing = [{ pod: makePod({ labels: { app: 'db' } }), node: 'a' }];
    const { schedule } = setup(nodes, existing);
    const r = schedule(makePod({ labels: { app: 'db' }, spec: spread }));
    expect(r.feasible.map((n) => n.name)).toEqual(['b']);
    expect(r.nodeStatuses.get('a')?.reasons).toEqual([
      "node(s) didn't match pod topology spread constraints",
    ]);
    expect(r.nodeStatuses.get('nolabel')?.reasons).toEqual([
      "node(s) didn't match pod topology spread constraints (missing required label)",
    ]);
  });

  it('prefers the less loaded node (LeastAllocated) and balanced use of cpu and memory', () => {
    const { schedule } = setup(
      [makeNode({ name: 'full' }), makeNode({ name: 'empty' })],
      [{ pod: makePod({ cpu: '3', memory: '6Gi' }), node: 'full' }],
    );
    const r = schedule(makePod({ cpu: '100m', memory: '100Mi' }));
    expect(r.feasible[r.chosen!]!.name).toBe('empty');
  });

  it('looks at a bounded share of a big cluster, starting where the last pod stopped', () => {
    expect(numFeasibleNodesToFind(50)).toBe(50);
    expect(numFeasibleNodesToFind(1000)).toBe(420);
    expect(numFeasibleNodesToFind(5000)).toBe(500);
    expect(numFeasibleNodesToFind(10_000)).toBe(500);
    const nodes = Array.from({ length: 1000 }, (_, i) => makeNode({ name: `n${i}` }));
    const { schedule } = setup(nodes);
    const a = schedule(makePod());
    const b = schedule(makePod());
    expect(a.evaluated).toHaveLength(420);
    expect(b.evaluated[0]).toBe('n420');
  });
});
