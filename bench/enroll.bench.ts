// Enrolling machines over SSH, and the pod network between them (issue #5's benchmarks).
//
// Set-up, as a user runs it: `flotilla server` as its own process listening on every interface, the
// agent bundle built fresh from the sources, and three SSH test hosts of testbed instance 12
// (scripts/testbed.sh: network namespaces with their own sshd and dockerd on one bridge; needs root).
//
// 1. `flotilla node add ssh` → Ready for one host: the CLI's wall time (its own start included),
//    median of BENCH_ENROLL_RUNS runs, the node removed (`flotilla node remove`) between runs.
//    Goal from the issue: ≤ 10 s (k3sup and k0sctl take tens of seconds, mostly downloads).
// 2. Three hosts at once: three `node add ssh` processes started together, timed until the last is
//    Ready; median of BENCH_ENROLL_RUNS runs. The last run's nodes stay for 3.
// 3. Pod-to-pod across two hosts next to host-to-host over the same link (the test bridge), same
//    busybox binary on both sides: TCP throughput (dd of BENCH_NET_MIB MiB into `nc`, timed inside the
//    sender from /proc/uptime, the receiver counting the bytes) and latency (ping round trips, median
//    of the per-packet times); the runs alternate pod and host; ratio = pod / host.
// Everything made is removed at the end (nodes, pods, agents on the hosts); the hosts stay up.
//
// Settings: BENCH_ENROLL_RUNS (3), BENCH_NET_RUNS (3), BENCH_NET_MIB (128), BENCH_PINGS (20).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import {
  appContainerOf,
  buildAgentBundle,
  clusterClients,
  engineOf,
  loadAverage,
  runProgram,
  startClusterServer,
  until,
} from '../tests/support/cluster-e2e';
import type { ClusterServer, PodEngine } from '../tests/support/cluster-e2e';
import { requireTestbed } from '../tests/support/testbed';
import type { TestbedHost } from '../tests/support/testbed';
import type { BenchRow } from './lib/results';
import { median, round } from './lib/stats';
import { formatTable } from './lib/table';

const INSTANCE = 12;
const envNumber = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const ENROLL_RUNS = envNumber('BENCH_ENROLL_RUNS', 3);
const NET_RUNS = envNumber('BENCH_NET_RUNS', 3);
const NET_MIB = envNumber('BENCH_NET_MIB', 128);
const PINGS = envNumber('BENCH_PINGS', 20);
const ENROLL_GOAL_MS = 10_000;
const PORT_POD = 5001;
const PORT_HOST = 5002;

type Clients = ReturnType<typeof clusterClients>;

/** The CLI's wall time, and the time it reports itself (Machine created → Node Ready). */
async function enrollOnce(
  c: Clients,
  host: TestbedHost,
  name: string,
): Promise<{ ms: number; reported: number }> {
  const t = performance.now();
  const r = await c.addSshHost(host, name);
  const ms = performance.now() - t;
  if (r.code !== 0) throw new Error(`node add ssh ${name} failed:\n${r.stdout}\n${r.stderr}`);
  const reported = Number(/is Ready \(([\d.]+) s\)/.exec(r.stdout)?.[1] ?? NaN) * 1000;
  return { ms, reported };
}

async function remove(c: Clients, name: string): Promise<void> {
  const r = await c.removeNode(name);
  if (r.code !== 0) throw new Error(`node remove ${name} failed:\n${r.stdout}\n${r.stderr}`);
}

/**
 * Bytes a receiver counted: it writes `wc -c` to a file when the sender closes (busybox nc with -e,
 * so the receiver's own stdin never ends the connection early). Empty until then.
 */
async function receivedBytes(read: () => Promise<string>): Promise<number> {
  return until(
    'the receiver to count what it got',
    async () => {
      const text = (await read()).trim();
      return text ? Number(text) : undefined;
    },
    30_000,
    50,
  );
}

/** Whether something listens on PORT in the network namespace of process PID. */
async function listening(pid: number, port: number): Promise<boolean> {
  const r = await runProgram('nsenter', ['-t', String(pid), '-n', 'ss', '-Hltn', `sport = :${port}`]);
  return r.code === 0 && r.stdout.trim() !== '';
}

async function containerPid(engine: PodEngine, id: string): Promise<number> {
  return (await engine.docker.getContainer(id).inspect()).State.Pid;
}

async function namespacePid(host: TestbedHost): Promise<number> {
  // Any process in the host's network namespace will do (its sshd, its dockerd).
  const r = await runProgram('ip', ['netns', 'pids', host.netns]);
  const pid = Number(r.stdout.split('\n')[0]?.trim());
  if (!pid) throw new Error(`no process found in ${host.netns}`);
  return pid;
}

// Timed inside the sender (same clock source and busybox for pod and host): start and end uptime.
const senderScript = (busybox: string, ip: string, port: number) =>
  `a=$(cut -d' ' -f1 /proc/uptime); ${busybox}dd if=/dev/zero bs=65536 count=${NET_MIB * 16} 2>/dev/null | ${busybox}nc ${ip} ${port}; b=$(cut -d' ' -f1 /proc/uptime); echo "$a $b"`;

function mibPerSecond(bytes: number, timing: string): number {
  const [a, b] = timing.trim().split(/\s+/).map(Number) as [number, number];
  const seconds = Math.max(b - a, 0.01);
  return bytes / (1024 * 1024) / seconds;
}

function pingTimes(output: string): number[] {
  return [...output.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
}

export async function run(): Promise<BenchRow[]> {
  const { testbed, skipReason } = await requireTestbed(3, INSTANCE);
  if (!testbed) throw new Error(`the enroll benchmark needs three test hosts: ${skipReason}`);
  const [vm1, vm2, vm3] = testbed.hosts as [TestbedHost, TestbedHost, TestbedHost];
  const rows: BenchRow[] = [];
  const show = (added: BenchRow[]) => {
    rows.push(...added);
    console.log(formatTable(added));
  };
  const loadStart = loadAverage();
  const workDir = await mkdtemp(join(os.tmpdir(), 'flotilla-bench-enroll-'));
  let server: ClusterServer | undefined;
  let c: Clients | undefined;
  const enrolled = new Set<string>();
  const suffix = String(process.pid % 10_000);
  const podNames = [`be${suffix}-a`, `be${suffix}-b`];
  try {
    console.log('building the agent bundle and starting flotilla server…');
    const bundle = await buildAgentBundle(join(workDir, 'bundle'));
    server = await startClusterServer({ dataDir: join(workDir, 'data'), agentBundle: bundle });
    c = clusterClients(server, bundle);
    const cl = c;

    // 1. One host, one after another.
    const single: number[] = [];
    const singleReported: number[] = [];
    for (let i = 0; i < ENROLL_RUNS; i++) {
      const name = `be${suffix}-one`;
      enrolled.add(name);
      const once = await enrollOnce(cl, vm1, name);
      single.push(once.ms);
      if (Number.isFinite(once.reported)) singleReported.push(once.reported);
      await remove(cl, name);
      enrolled.delete(name);
      console.log(`  node add ssh → Ready, run ${i + 1}: ${round(single[i]!)} ms`);
    }
    const one = median(single);
    show([
      {
        name: 'node add ssh → Ready, one host (median)',
        value: one,
        unit: 'ms',
        goal: `<= ${ENROLL_GOAL_MS} ms`,
        meetsGoal: one <= ENROLL_GOAL_MS,
      },
      ...(singleReported.length
        ? [
            {
              name: 'of which Machine created → Node Ready (as the CLI reports it)',
              value: median(singleReported),
              unit: 'ms',
            },
          ]
        : []),
    ]);

    // 2. Three hosts at once.
    const triple: number[] = [];
    const names = [vm1, vm2, vm3].map((h, i) => [h, `be${suffix}-vm${i + 1}`] as const);
    for (let i = 0; i < ENROLL_RUNS; i++) {
      for (const [, name] of names) enrolled.add(name);
      const t = performance.now();
      await Promise.all(names.map(([h, name]) => enrollOnce(cl, h, name)));
      triple.push(performance.now() - t);
      console.log(`  3 × node add ssh → all Ready, run ${i + 1}: ${round(triple[i]!)} ms`);
      if (i < ENROLL_RUNS - 1)
        for (const [, name] of names) {
          await remove(cl, name);
          enrolled.delete(name);
        }
    }
    show([{ name: 'node add ssh → Ready, 3 hosts at once (median)', value: median(triple), unit: 'ms' }]);

    // 3. Pod to pod across hosts (vm1 → vm2) next to host to host on the same link.
    const [nodeA, nodeB] = [names[0]![1], names[1]![1]];
    const podYaml = (name: string, node: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {bench: enroll}}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: flotilla.test/busybox:1
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`;
    const applied = await cl.kubectl(['apply', '-f', '-'], {
      input: `${podYaml(podNames[0]!, nodeA)}---${podYaml(podNames[1]!, nodeB)}`,
    });
    if (applied.code !== 0) throw new Error(applied.stderr);
    const ipOf = (pod: string) =>
      until(
        `pod ${pod} Running with an IP`,
        async () => {
          const p = await cl.kubectlJson<{ status?: { phase?: string; podIP?: string } }>([
            'get',
            'pod',
            pod,
          ]);
          return p.status?.phase === 'Running' ? p.status.podIP : undefined;
        },
        60_000,
      );
    await ipOf(podNames[0]!);
    const ipB = await ipOf(podNames[1]!);
    const engA = engineOf(vm1);
    const engB = engineOf(vm2);
    const idA = await appContainerOf(engA, podNames[0]!);
    const idB = await appContainerOf(engB, podNames[1]!);
    const pidB = await containerPid(engB, idB);
    const hostPidB = await namespacePid(vm2);
    const bytes = NET_MIB * 1024 * 1024;

    const podThroughput: number[] = [];
    const hostThroughput: number[] = [];
    for (let i = 0; i < NET_RUNS; i++) {
      // Pod → pod: the receiver is the pod on vm2; the sender runs in the pod on vm1.
      await runProgram('docker', ['-H', engB.host, 'exec', idB, 'rm', '-f', '/tmp/rx']);
      const podRx = await runProgram('docker', [
        '-H',
        engB.host,
        'exec',
        '-d',
        idB,
        'nc',
        '-l',
        '-p',
        String(PORT_POD),
        '-e',
        'sh',
        '-c',
        'wc -c > /tmp/rx',
      ]);
      if (podRx.code !== 0) throw new Error(`pod receiver: ${podRx.stderr}`);
      await until('the pod receiver to listen', () => listening(pidB, PORT_POD), 10_000, 20);
      const podTiming = await runProgram(
        'docker',
        ['-H', engA.host, 'exec', idA, 'sh', '-c', senderScript('', ipB, PORT_POD)],
        { timeoutMs: 120_000 },
      );
      const podBytes = await receivedBytes(
        async () => (await runProgram('docker', ['-H', engB.host, 'exec', idB, 'cat', '/tmp/rx'])).stdout,
      );
      if (podTiming.code !== 0 || podBytes !== bytes)
        throw new Error(`pod transfer: sent ${bytes}, received ${podBytes}: ${podTiming.stderr}`);
      podThroughput.push(mibPerSecond(bytes, podTiming.stdout));

      // Host → host: the same busybox, in the hosts' own network namespaces.
      const hostFile = join(workDir, `host-rx-${i}`);
      const hostRx = spawn(
        'ip',
        [
          'netns',
          'exec',
          vm2.netns,
          'busybox',
          'nc',
          '-l',
          '-p',
          String(PORT_HOST),
          '-e',
          'sh',
          '-c',
          `busybox wc -c > ${hostFile}`,
        ],
        { stdio: 'ignore' },
      );
      try {
        await until('the host receiver to listen', () => listening(hostPidB, PORT_HOST), 10_000, 20);
        const hostTiming = await runProgram(
          'ip',
          ['netns', 'exec', vm1.netns, 'sh', '-c', senderScript('busybox ', vm2.ip, PORT_HOST)],
          { timeoutMs: 120_000 },
        );
        const hostBytes = await receivedBytes(() => readFile(hostFile, 'utf8').catch(() => ''));
        if (hostTiming.code !== 0 || hostBytes !== bytes)
          throw new Error(`host transfer: sent ${bytes}, received ${hostBytes}: ${hostTiming.stderr}`);
        hostThroughput.push(mibPerSecond(bytes, hostTiming.stdout));
      } finally {
        if (hostRx.exitCode === null) hostRx.kill('SIGKILL');
      }
      console.log(
        `  throughput run ${i + 1}: pod→pod ${round(podThroughput[i]!)} MiB/s, host→host ${round(hostThroughput[i]!)} MiB/s`,
      );
    }
    const podTp = median(podThroughput);
    const hostTp = median(hostThroughput);

    const podRtt: number[] = [];
    const hostRtt: number[] = [];
    for (let i = 0; i < NET_RUNS; i++) {
      const p = await runProgram(
        'docker',
        ['-H', engA.host, 'exec', idA, 'ping', '-c', String(PINGS), '-i', '0.1', ipB],
        { timeoutMs: 60_000 },
      );
      podRtt.push(...pingTimes(p.stdout));
      const h = await runProgram(
        'ip',
        ['netns', 'exec', vm1.netns, 'busybox', 'ping', '-c', String(PINGS), '-i', '0.1', vm2.ip],
        { timeoutMs: 60_000 },
      );
      hostRtt.push(...pingTimes(h.stdout));
    }
    if (podRtt.length === 0 || hostRtt.length === 0) throw new Error('ping gave no round trips');
    const podLat = median(podRtt);
    const hostLat = median(hostRtt);
    show([
      {
        name: `pod→pod TCP throughput across hosts (${NET_MIB} MiB, median)`,
        value: podTp,
        unit: 'MiB/s',
        peer: 'host→host, same link',
        peerValue: hostTp,
        ratio: podTp / hostTp,
      },
      {
        name: 'pod→pod round trip across hosts (ping, median)',
        value: podLat,
        unit: 'ms',
        peer: 'host→host, same link',
        peerValue: hostLat,
        ratio: podLat / hostLat,
      },
    ]);
  } finally {
    if (c) {
      await c.kubectl(['delete', 'pod', ...podNames, '--wait=false']).catch(() => undefined);
      for (const name of enrolled) await c.removeNode(name).catch(() => undefined);
    }
    await server?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
  const loadEnd = loadAverage();
  console.log(`load average (1, 5, 15 min): at start ${loadStart}; at end ${loadEnd}`);
  rows.push(
    { name: 'load average at start (1 min)', value: Number(loadStart.split(' ')[0]), unit: '' },
    { name: 'load average at end (1 min)', value: Number(loadEnd.split(' ')[0]), unit: '' },
  );
  return rows;
}
