// Failure reaction with the default (desktop) timings: how long from a node's last heartbeat until
// all its pods run elsewhere. Each run starts `flotilla server` as its own process (exactly what a
// user runs, with its default settings: 20 s node monitor grace, 30 s default toleration), registers
// 3 hollow nodes here (Lease renewal every 10 s, as the agent), creates a Deployment of 6 and, once
// it runs 2/2/2, silences one node. Timestamps are taken in this process from watches (informers) on
// nodes and pods, on the same clock as the hollow node's last Lease renewTime:
//   last renewal → node Ready=Unknown → unreachable NoExecute taint → pods evicted (deletion marked)
//   → the Deployment again has 6 Running, Ready pods, none on the silent node.
// Expected: grace + toleration = 50 s (± the 1 s precision of the taint's timeAdded) plus scheduling
// and start of the replacements (instant on hollow nodes).
// Settings: BENCH_REPEATS (3), BENCH_HEARTBEAT_SECONDS (10).
import { DESKTOP_NODE_LIFECYCLE } from '../src-main/control-plane/controllers/nodelifecycle';
import type { Node } from '../src-main/control-plane/scheduler/api-types';
import { createInformer } from '../src-main/shared/kube/informer';
import type { Deployment, Pod } from '../src-main/shared/kube/objects';
import type { KubeObjectLike } from '../src-main/shared/kube/types';
import { resourceFor } from '../src-main/shared/resources';
import { LEASE_NAMESPACE, startHollowNodes } from '../tests/support/hollow-nodes';
import { startServerProcess } from './lib/control-plane-process';
import type { BenchRow } from './lib/results';
import { median } from './lib/stats';

const PODS = resourceFor('', 'pods');
const NODES = resourceFor('', 'nodes');
const LEASES = resourceFor('coordination.k8s.io', 'leases');
const DEPLOYMENTS = resourceFor('apps', 'deployments');
const UNREACHABLE = 'node.kubernetes.io/unreachable';
const REPLICAS = 6;

const envNumber = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

interface Sample {
  /** All in seconds from the victim's last Lease renewal. */
  notReady: number;
  tainted: number;
  firstEviction: number;
  lastEviction: number;
  replaced: number;
}

const isReady = (p: Pod) =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Resolves with the time (ms, Date clock) when `check` first holds, re-evaluated on every event. */
function when(deadlineMs: number, what: string) {
  let resolve!: (at: number) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<number>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  let done = false;
  const timer = setTimeout(() => {
    if (!done) reject(new Error(`timed out waiting for ${what}`));
  }, deadlineMs);
  return {
    promise,
    observe(holds: boolean) {
      if (done || !holds) return;
      done = true;
      clearTimeout(timer);
      resolve(Date.now());
    },
  };
}

async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function once(heartbeatSeconds: number): Promise<Sample> {
  const server = await startServerProcess();
  const { api, transport } = server.connect(16);
  const fleet = await startHollowNodes(api, {
    count: 3,
    namePrefix: 'fo-',
    capacity: { cpu: '4', memory: '8Gi', pods: 110 },
    heartbeatSeconds,
  });
  const nodes = createInformer<Node>(api, NODES);
  const pods = createInformer<Pod>(api, PODS, { namespace: 'default' });
  try {
    await Promise.all([nodes.start(), pods.start()]);
    await api.create<Deployment>(
      DEPLOYMENTS,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'default' },
        spec: {
          replicas: REPLICAS,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'main', image: 'web:1' }] },
          },
        },
      },
      'default',
    );
    const running = () =>
      pods.lister
        .list()
        .filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && isReady(p));
    await until(
      async () => (running().length === REPLICAS ? true : undefined),
      'the Deployment to run 6 pods',
      30_000,
    );
    const victim = 'fo-1';
    const victimPods = new Set(
      running()
        .filter((p) => p.spec?.nodeName === victim)
        .map((p) => p.metadata.uid),
    );
    if (victimPods.size === 0) throw new Error(`no pod on ${victim}: the spread is broken`);

    const budget =
      (DESKTOP_NODE_LIFECYCLE.nodeMonitorGracePeriodSeconds +
        DESKTOP_NODE_LIFECYCLE.defaultTolerationSeconds +
        heartbeatSeconds +
        30) *
      1000;
    const notReady = when(budget, 'Ready=Unknown');
    const tainted = when(budget, 'the unreachable NoExecute taint');
    const firstEviction = when(budget, 'the first eviction');
    const lastEviction = when(budget, 'every pod of the node evicted');
    const replaced = when(budget, `${REPLICAS} running pods elsewhere`);
    const onNode = (n: Node) => {
      if (n.metadata.name !== victim) return;
      notReady.observe(n.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True');
      tainted.observe((n.spec?.taints ?? []).some((t) => t.key === UNREACHABLE && t.effect === 'NoExecute'));
    };
    const onPod = () => {
      const marked = pods.lister
        .list()
        .filter((p) => victimPods.has(p.metadata.uid) && p.metadata.deletionTimestamp).length;
      firstEviction.observe(marked > 0);
      lastEviction.observe(marked === victimPods.size);
      const r = running();
      replaced.observe(r.length === REPLICAS && r.every((p) => p.spec?.nodeName !== victim));
    };
    nodes.addHandlers({ onUpdate: (_o, n) => onNode(n) });
    pods.addHandlers({ onAdd: onPod, onUpdate: onPod, onDelete: onPod });

    fleet.stopHeartbeats(victim);
    const [tNotReady, tTainted, tFirst, tLast, tReplaced] = await Promise.all([
      notReady.promise,
      tainted.promise,
      firstEviction.promise,
      lastEviction.promise,
      replaced.promise,
    ]);
    // The node is silent by now, so its Lease holds its last renewal.
    const lease = await api.get<KubeObjectLike & { spec?: { renewTime?: string } }>(
      LEASES,
      victim,
      LEASE_NAMESPACE,
    );
    const lastBeat = Date.parse(lease.spec?.renewTime ?? '');
    if (!Number.isFinite(lastBeat)) throw new Error('the silent node has no Lease renewTime');
    const s = (t: number) => (t - lastBeat) / 1000;
    return {
      notReady: s(tNotReady),
      tainted: s(tTainted),
      firstEviction: s(tFirst),
      lastEviction: s(tLast),
      replaced: s(tReplaced),
    };
  } finally {
    nodes.stop();
    pods.stop();
    await fleet.stop();
    transport.close();
    await server.stop();
  }
}

export async function run(): Promise<BenchRow[]> {
  const repeats = Math.max(3, envNumber('BENCH_REPEATS', 3));
  const heartbeatSeconds = envNumber('BENCH_HEARTBEAT_SECONDS', 10);
  const grace = DESKTOP_NODE_LIFECYCLE.nodeMonitorGracePeriodSeconds;
  const toleration = DESKTOP_NODE_LIFECYCLE.defaultTolerationSeconds;
  const expected = grace + toleration;
  const samples: Sample[] = [];
  for (let i = 0; i < repeats; i++) {
    const sample = await once(heartbeatSeconds);
    console.log(
      `run ${i + 1}/${repeats}: NotReady ${sample.notReady.toFixed(1)} s, tainted ${sample.tainted.toFixed(1)} s, ` +
        `evicted ${sample.firstEviction.toFixed(1)}-${sample.lastEviction.toFixed(1)} s, ` +
        `all running elsewhere ${sample.replaced.toFixed(1)} s (from the last heartbeat)`,
    );
    samples.push(sample);
  }
  const med = (f: (s: Sample) => number) => median(samples.map(f));
  const total = med((s) => s.replaced);
  const slack = 5;
  return [
    {
      name: `last heartbeat → all pods Running elsewhere (3 nodes, Deployment of ${REPLICAS}, median of ${repeats})`,
      value: total,
      unit: 's',
      peer: `expected: grace ${grace} s + toleration ${toleration} s`,
      peerValue: expected,
      ratio: total / expected,
      goal: `<= ${expected + slack} (expected + ${slack} s)`,
      meetsGoal: total <= expected + slack,
    },
    {
      name: 'split: last heartbeat → Ready=Unknown',
      value: med((s) => s.notReady),
      unit: 's',
      peer: `grace ${grace} s`,
      peerValue: grace,
      ratio: med((s) => s.notReady) / grace,
    },
    {
      name: 'split: Ready=Unknown → unreachable NoExecute taint',
      value: med((s) => s.tainted - s.notReady),
      unit: 's',
    },
    {
      name: 'split: taint → eviction (all pods of the node marked for deletion)',
      value: med((s) => s.lastEviction - s.tainted),
      unit: 's',
      peer: `toleration ${toleration} s`,
      peerValue: toleration,
      ratio: med((s) => s.lastEviction - s.tainted) / toleration,
    },
    {
      name: 'split: eviction → replacements Running elsewhere',
      value: med((s) => s.replaced - s.lastEviction),
      unit: 's',
    },
  ];
}
