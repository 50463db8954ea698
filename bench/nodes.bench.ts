// Heartbeat load: 1,000 hollow nodes renewing their Leases every 10 s (and re-posting Ready status
// every 60 s, kubelet's report frequency), for ~60 s. The control plane runs as its own process
// (`flotilla server`) so its CPU (% of one core, from /proc/PID/stat) and RSS (/proc/PID/status)
// are its own; the hollow nodes run here. Goals: ≤ 25% of one core, ≤ 300 MB RSS.
// Settings: BENCH_NODES (1000), BENCH_HEARTBEAT_SECONDS (10), BENCH_SECONDS (60), BENCH_REPEATS (1).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { createKubeApi } from '../src-main/shared/kube/client';
// With its .ts extension: tsx (which runs the benchmarks) reads a bare `.node` suffix as a native addon.
import { createNodeTransport } from '../src-main/shared/node/https-transport';
import type { NodeTransport } from '../src-main/shared/node/https-transport';
import type { KubeApi } from '../src-main/shared/kube/types';
import { startHollowNodes } from '../tests/support/hollow-nodes';
import type { BenchRow } from './lib/results';
import { median } from './lib/stats';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLOCK_TICKS = 100; // USER_HZ on Linux x86-64 (getconf CLK_TCK)

export interface ControlPlaneProcess {
  pid: number;
  url: string;
  kubeconfigPath: string;
  api: KubeApi;
  transport: NodeTransport;
  /** Another client with its own connection pool (so one workload does not queue behind another). */
  connect(maxSockets?: number): { api: KubeApi; transport: NodeTransport };
  /** utime + stime in seconds. */
  cpuSeconds(): number;
  rssBytes(): number;
  stop(): Promise<void>;
}

/** Starts `flotilla server` on a free loopback port with a fresh data dir and connects to it. */
export async function startControlPlaneProcess(
  options: { maxSockets?: number } = {},
): Promise<ControlPlaneProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-'));
  const child: ChildProcess = spawn(
    process.execPath,
    [join(root, 'bin/flotilla.js'), 'server', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: root },
  );
  const ready = await new Promise<{ url: string; kubeconfigPath: string }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`flotilla server did not start within 60 s:\n${out}`)),
      60_000,
    );
    child.on('exit', (code) => reject(new Error(`flotilla server exited with ${code}:\n${out}`)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /listening on (\S+)/.exec(out)?.[1];
      const kubeconfigPath = /Admin kubeconfig: (\S+)/.exec(out)?.[1];
      if (url && kubeconfigPath) {
        clearTimeout(timer);
        resolve({ url, kubeconfigPath });
      }
    });
  });
  const kubeconfig = parseYaml(readFileSync(ready.kubeconfigPath, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  };
  const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  const cluster = kubeconfig.clusters[0]!.cluster;
  const user = kubeconfig.users[0]!.user;
  const connect = (maxSockets = options.maxSockets ?? 128) => {
    const transport = createNodeTransport({
      server: cluster.server,
      caPem: b64(cluster['certificate-authority-data']),
      certPem: b64(user['client-certificate-data']),
      keyPem: b64(user['client-key-data']),
      maxSockets,
    });
    return { api: createKubeApi(transport), transport };
  };
  const { api, transport } = connect();
  const pid = child.pid!;
  return {
    pid,
    ...ready,
    api,
    transport,
    connect,
    cpuSeconds() {
      // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    },
    rssBytes() {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      return Number(kb ?? 0) * 1024;
    },
    async stop() {
      transport.close();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(forced);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const envNumber = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

interface Sample {
  cpuPercent: number;
  rssMB: number;
  peakRssMB: number;
  heartbeatsPerSecond: number;
}

async function once(count: number, heartbeatSeconds: number, seconds: number): Promise<Sample> {
  const cp = await startControlPlaneProcess();
  let errors = 0;
  const fleet = await startHollowNodes(cp.api, {
    count,
    capacity: { cpu: '8', memory: '32Gi', pods: 110 },
    heartbeatSeconds,
    onError: () => errors++,
  });
  try {
    // Let registration's burst settle for one heartbeat interval, then measure the steady state.
    await new Promise((r) => setTimeout(r, heartbeatSeconds * 1000));
    const cpu0 = cp.cpuSeconds();
    const beats0 = fleet.heartbeats();
    const t0 = performance.now();
    let peak = 0;
    const rss: number[] = [];
    while (performance.now() - t0 < seconds * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      const b = cp.rssBytes();
      rss.push(b);
      peak = Math.max(peak, b);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const cpuPercent = ((cp.cpuSeconds() - cpu0) / elapsed) * 100;
    if (errors > 0) console.warn(`${errors} hollow node API errors during the run`);
    return {
      cpuPercent,
      rssMB: median(rss) / 1e6,
      peakRssMB: peak / 1e6,
      heartbeatsPerSecond: (fleet.heartbeats() - beats0) / elapsed,
    };
  } finally {
    await fleet.stop();
    await cp.stop();
  }
}

export async function run(): Promise<BenchRow[]> {
  const count = envNumber('BENCH_NODES', 1000);
  const heartbeatSeconds = envNumber('BENCH_HEARTBEAT_SECONDS', 10);
  const seconds = envNumber('BENCH_SECONDS', 60);
  const repeats = envNumber('BENCH_REPEATS', 1);
  const samples: Sample[] = [];
  for (let i = 0; i < repeats; i++) samples.push(await once(count, heartbeatSeconds, seconds));
  const med = (f: (s: Sample) => number) => median(samples.map(f));
  const cpu = med((s) => s.cpuPercent);
  const peak = med((s) => s.peakRssMB);
  return [
    {
      name: `control-plane CPU, ${count} nodes heartbeating every ${heartbeatSeconds} s`,
      value: cpu,
      unit: '% of one core',
      goal: '<= 25',
      meetsGoal: cpu <= 25,
    },
    { name: 'control-plane RSS (median over the run)', value: med((s) => s.rssMB), unit: 'MB' },
    { name: 'control-plane RSS (peak)', value: peak, unit: 'MB', goal: '<= 300', meetsGoal: peak <= 300 },
    { name: 'lease renewals', value: med((s) => s.heartbeatsPerSecond), unit: '/s' },
  ];
}
