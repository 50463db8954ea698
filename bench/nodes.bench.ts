// Heartbeat load: 1,000 hollow nodes renewing their Leases every 10 s (and re-posting Ready status
// every 60 s, kubelet's report frequency), for ~60 s. The control plane runs as its own process
// (`flotilla server`) so its CPU (% of one core, from /proc/PID/stat) and RSS (/proc/PID/status)
// are its own; the hollow nodes run here. Goals: ≤ 25% of one core, ≤ 300 MB RSS.
// Settings: BENCH_NODES (1000), BENCH_HEARTBEAT_SECONDS (10), BENCH_SECONDS (60), BENCH_REPEATS (1).
import { startHollowNodes } from '../tests/support/hollow-nodes';
import { startServerProcess } from './lib/control-plane-process';
import type { BenchRow } from './lib/results';
import { median } from './lib/stats';

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
  // A whole control plane, controllers included: node lifecycle reads every heartbeat, as it would.
  const cp = await startServerProcess();
  const { api } = cp.connect();
  let errors = 0;
  const fleet = await startHollowNodes(api, {
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
