// Scheduler throughput: 10,000 pods onto 5,000 hollow nodes. The control plane (API server over
// HTTPS, SQLite store) runs as its own process, as kube-apiserver does; the scheduler runs here
// with its informers and its own connection pool, and a second client creates the pods as fast as
// the API server takes them (closed loop) while a watch records when each pod is bound.
// Figures: pods bound per second (first create → last bound) and creation→bound latency.
// Reference (published, not measured here): kube-scheduler schedules ~100 pods/s at 5,000 nodes.
// Settings: BENCH_NODES (5000), BENCH_PODS (10000), BENCH_CREATORS (64 concurrent creates), BENCH_REPEATS (1).
import { startScheduler } from '../src-main/control-plane/scheduler';
import { Framework } from '../src-main/control-plane/scheduler/framework/framework';
import { SchedulerCache } from '../src-main/control-plane/scheduler/internal/cache';
import { newPodInfo } from '../src-main/control-plane/scheduler/internal/pod-info';
import { DEFAULT_PLUGINS } from '../src-main/control-plane/scheduler/plugins/registry';
import { SchedulingAlgorithm } from '../src-main/control-plane/scheduler/scheduling-cycle';
import { makeNode, makePod } from '../src-main/control-plane/scheduler/testing/fixtures';
import type { Pod } from '../src-main/control-plane/scheduler/api-types';
import type { KubeApi, KubeObjectLike } from '../src-main/shared/kube/types';
import { RESOURCES } from '../src-main/shared/resources';
import type { ResourceInfo } from '../src-main/shared/resources';
import { startHollowNodes } from '../tests/support/hollow-nodes';
import { startServerProcess } from './lib/control-plane-process';
import type { BenchRow } from './lib/results';
import { median, percentile } from './lib/stats';

const PODS = RESOURCES.find((r) => r.group === '' && r.kind === 'Pod') as ResourceInfo;
const CONFIGMAPS = RESOURCES.find((r) => r.group === '' && r.kind === 'ConfigMap') as ResourceInfo;
const KUBE_SCHEDULER_PODS_PER_SECOND_AT_5000_NODES = 100;

const envNumber = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

interface Sample {
  podsPerSecond: number;
  createsPerSecond: number;
  p50: number;
  p99: number;
  schedulerCpuPercent: number;
  registerSeconds: number;
}

/** Records, per pod name, when the watch first shows it bound. */
async function watchBindings(api: KubeApi, bound: Map<string, number>, signal: AbortSignal): Promise<void> {
  const list = await api.list<Pod>(PODS, { namespace: 'default', limit: 1 });
  void api
    .watch<Pod>(
      PODS,
      { namespace: 'default', resourceVersion: list.metadata.resourceVersion, signal, timeoutSeconds: 3600 },
      (e) => {
        const p = e.object;
        if (
          (e.type === 'ADDED' || e.type === 'MODIFIED') &&
          p.spec?.nodeName &&
          !bound.has(p.metadata.name)
        ) {
          bound.set(p.metadata.name, performance.now());
        }
      },
    )
    .catch(() => {});
}

type Mode = 'live' | 'backlog';

/**
 * live: the scheduler runs while pods are created (end to end, bounded by the API server's create
 * rate). backlog: all pods exist first, then the scheduler starts and drains them (its own rate,
 * binding and events included), like kube-scheduler's scheduler_perf measuring a pending backlog.
 */
async function once(mode: Mode, nodeCount: number, podCount: number, creators: number): Promise<Sample> {
  // The benchmark runs the scheduler itself (in this process), so the server runs without one.
  const cp = await startServerProcess({ args: ['--disable', 'scheduler,controllers'], maxSockets: 128 });
  const { api } = cp.connect(128);
  const schedClient = cp.connect(128);
  const watchClient = cp.connect(4);
  const abort = new AbortController();
  try {
    const r0 = performance.now();
    const fleet = await startHollowNodes(api, {
      count: nodeCount,
      capacity: { cpu: '32', memory: '128Gi', pods: 110 },
      heartbeatSeconds: 0,
      runPods: false,
      concurrency: 64,
    });
    const registerSeconds = (performance.now() - r0) / 1000;
    // 100 workloads of podCount/100 pods: the default spread by owner is part of every decision.
    const owners: KubeObjectLike[] = [];
    for (let i = 0; i < 100; i++) {
      owners.push(
        await api.create(
          CONFIGMAPS,
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `workload-${i}` } },
          'default',
        ),
      );
    }
    // BENCH_NO_EVENTS=1 leaves Events out, to see what they cost the API server.
    const recorder = process.env.BENCH_NO_EVENTS === '1' ? { event() {} } : undefined;
    const startSched = () => startScheduler(schedClient.api, { parallelBindings: 128, recorder });
    let scheduler = mode === 'live' ? await startSched() : undefined;
    const bound = new Map<string, number>();
    await watchBindings(watchClient.api, bound, abort.signal);

    const created = new Map<string, number>();
    let cpu0 = process.cpuUsage();
    let t0 = performance.now();
    let next = 0;
    let lastCreated = t0;
    const creator = async () => {
      while (next < podCount) {
        const i = next++;
        const owner = owners[i % owners.length]!;
        const name = `bench-${i}`;
        created.set(name, performance.now());
        await api.create(
          PODS,
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              name,
              labels: { app: owner.metadata!.name! },
              ownerReferences: [
                {
                  apiVersion: 'v1',
                  kind: 'ConfigMap',
                  name: owner.metadata!.name!,
                  uid: owner.metadata!.uid!,
                  controller: true,
                },
              ],
            },
            spec: {
              containers: [
                {
                  name: 'app',
                  image: 'bench:hollow',
                  resources: { requests: { cpu: '100m', memory: '128Mi' } },
                },
              ],
            },
          },
          'default',
        );
        lastCreated = performance.now();
      }
    };
    await Promise.all(Array.from({ length: creators }, creator));
    const createSeconds = (lastCreated - t0) / 1000;
    if (!scheduler) {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      scheduler = await startSched();
    }
    const deadline = performance.now() + 600_000;
    while (bound.size < podCount) {
      if (performance.now() > deadline) {
        throw new Error(
          `only ${bound.size}/${podCount} pods bound after 10 minutes: ${JSON.stringify(scheduler.stats())}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const lastBound = Math.max(...bound.values());
    const cpu = process.cpuUsage(cpu0);
    const elapsed = (lastBound - t0) / 1000;
    const latencies = [...bound].map(([name, at]) => at - Math.max(t0, created.get(name) ?? at));
    const stats = scheduler.stats();
    if (stats.bindingFailures > 0) console.warn(`binding failures: ${stats.bindingFailures}`);
    await scheduler.close();
    await fleet.stop();
    return {
      podsPerSecond: podCount / elapsed,
      createsPerSecond: podCount / createSeconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      // This process also runs the pod creator and the watch: an upper bound for the scheduler alone.
      schedulerCpuPercent: ((cpu.user + cpu.system) / 1e6 / elapsed) * 100,
      registerSeconds,
    };
  } finally {
    abort.abort();
    schedClient.transport.close();
    watchClient.transport.close();
    await cp.stop();
  }
}

/** The scheduling cycle alone (filter, score, assume) over the in-memory cache: no API, no binding. */
export function cycleOnly(nodeCount: number, podCount: number): number {
  const cache = new SchedulerCache();
  for (let i = 0; i < nodeCount; i++) cache.addNode(makeNode({ name: `n${i}`, cpu: '32', memory: '128Gi' }));
  const fw = new Framework(DEFAULT_PLUGINS, {
    handle: { nodes: () => cache.nodes(), nodeInfo: (n) => cache.nodeInfo(n) },
  });
  const algo = new SchedulingAlgorithm(fw, cache);
  const pods = Array.from({ length: podCount }, (_, i) =>
    makePod({ name: `p${i}`, cpu: '100m', memory: '128Mi', owner: `w${i % 100}` }),
  );
  const t0 = performance.now();
  for (const pod of pods) {
    const info = newPodInfo(pod);
    const r = algo.schedule(info);
    if (r.chosen === undefined) throw new Error(r.fitError);
    cache.assumePod(info, r.feasible[r.chosen]!.name);
  }
  return podCount / ((performance.now() - t0) / 1000);
}

export async function run(): Promise<BenchRow[]> {
  const nodeCount = envNumber('BENCH_NODES', 5000);
  const podCount = envNumber('BENCH_PODS', 10_000);
  const creators = envNumber('BENCH_CREATORS', 64);
  const repeats = envNumber('BENCH_REPEATS', 1);
  const cycles = Array.from({ length: 3 }, () => cycleOnly(nodeCount, podCount));
  const live: Sample[] = [];
  const backlog: Sample[] = [];
  for (let i = 0; i < repeats; i++) {
    live.push(await once('live', nodeCount, podCount, creators));
    backlog.push(await once('backlog', nodeCount, podCount, creators));
  }
  const med = (samples: Sample[], f: (s: Sample) => number) => median(samples.map(f));
  const goal = `>= 1000 (kube-scheduler publishes ~${KUBE_SCHEDULER_PODS_PER_SECOND_AT_5000_NODES} at 5,000 nodes; not measured here)`;
  const liveRate = med(live, (s) => s.podsPerSecond);
  const drainRate = med(backlog, (s) => s.podsPerSecond);
  return [
    {
      name: `scheduling throughput, ${podCount} pending pods onto ${nodeCount} nodes (backlog drain)`,
      value: drainRate,
      unit: 'pods/s',
      goal,
      meetsGoal: drainRate >= 1000,
    },
    {
      name: 'scheduling cycle alone (filter + score + assume, no API)',
      value: median(cycles),
      unit: 'pods/s',
    },
    {
      name: 'backlog drain: scheduler start → pod bound, p99',
      value: med(backlog, (s) => s.p99),
      unit: 'ms',
    },
    {
      name: `end-to-end throughput, ${podCount} pods created while scheduling`,
      value: liveRate,
      unit: 'pods/s',
      goal,
      meetsGoal: liveRate >= 1000,
    },
    {
      name: 'pod creation rate achieved (API server, same run)',
      value: med(live, (s) => s.createsPerSecond),
      unit: 'pods/s',
    },
    { name: 'creation → bound, p50', value: med(live, (s) => s.p50), unit: 'ms' },
    { name: 'creation → bound, p99', value: med(live, (s) => s.p99), unit: 'ms' },
    {
      name: 'bench process CPU while draining (scheduler + watch)',
      value: med(backlog, (s) => s.schedulerCpuPercent),
      unit: '% of one core',
    },
    { name: `registering ${nodeCount} hollow nodes`, value: med(live, (s) => s.registerSeconds), unit: 's' },
  ];
}
