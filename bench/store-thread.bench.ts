// Where should the sqlite backend run its write transactions: on the main thread (which the API
// server shares) or on a worker thread? Same workload through both; compares writes/s, p99 write
// latency and the main thread's event-loop delay (what an API request waits) during the load, first
// with the store alone, then with simulated API-server work on the main thread around each write
// (decode, validate, encode: JSON parse/stringify of the value, as a request handler would).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { openSqliteStore } from '../src-main/control-plane/store/sqlite';
import { closedLoop, sampleValue } from './lib/load';
import { comparedRow } from './lib/results';
import type { BenchRow } from './lib/results';
import { median, percentile } from './lib/stats';
import { benchSettings, storeWriteOp, tempDir } from './lib/store-workload';

type Figures = { writesPerSecond: number; p99: number; loopDelayP99: number };

const API_WORK_ROUNDS = 4;

/** Main-thread CPU an API request spends around a write. */
function withApiWork(op: (w: number, i: number) => Promise<void>, value: string) {
  return async (w: number, i: number) => {
    for (let k = 0; k < API_WORK_ROUNDS; k++) JSON.stringify(JSON.parse(value));
    await op(w, i);
    for (let k = 0; k < API_WORK_ROUNDS; k++) JSON.stringify(JSON.parse(value));
  };
}

async function measure(
  writer: 'main' | 'worker',
  concurrency: number,
  seconds: number,
  apiWork: boolean,
): Promise<Figures> {
  const tmp = tempDir(`thread-${writer}`);
  const store = await openSqliteStore(`${tmp.dir}/store.db`, { writer });
  const value = sampleValue('/registry/configmaps/x', 1);
  const op = () => (apiWork ? withApiWork(storeWriteOp(store), value) : storeWriteOp(store));
  try {
    await closedLoop(concurrency, 300, op()); // warm up
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const res = await closedLoop(concurrency, seconds * 1000, op());
    delay.disable();
    return {
      writesPerSecond: res.opsPerSecond,
      p99: percentile(res.latencies, 99),
      loopDelayP99: delay.percentile(99) / 1e6,
    };
  } finally {
    await store.close();
    tmp.remove();
  }
}

export async function run(): Promise<BenchRow[]> {
  const { seconds, repeats, concurrencies } = benchSettings();
  const rows: BenchRow[] = [];
  for (const apiWork of [false, true]) {
    const label = apiWork ? ' +api work' : '';
    for (const c of concurrencies) {
      const runs: Record<'main' | 'worker', Figures[]> = { main: [], worker: [] };
      for (let r = 0; r < repeats; r++) {
        // Alternate so drift on a shared machine hits both sides alike.
        for (const writer of ['main', 'worker'] as const) {
          const f = await measure(writer, c, seconds, apiWork);
          runs[writer].push(f);
          console.error(
            `c=${c}${label} ${writer}: ${Math.round(f.writesPerSecond)} writes/s, p99 ${f.p99.toFixed(2)} ms, ` +
              `loop delay p99 ${f.loopDelayP99.toFixed(2)} ms`,
          );
        }
      }
      const med = (w: 'main' | 'worker', k: keyof Figures) => median(runs[w].map((f) => f[k]));
      const row = (what: string, k: keyof Figures, unit: string, better: 'higher' | 'lower') =>
        comparedRow(
          `worker ${what} @${c}${label}`,
          med('worker', k),
          unit,
          'main thread',
          med('main', k),
          better,
        );
      rows.push(
        row('writes/s', 'writesPerSecond', 'writes/s', 'higher'),
        row('p99 write latency', 'p99', 'ms', 'lower'),
        row('event-loop delay p99', 'loopDelayP99', 'ms', 'lower'),
      );
    }
  }
  return rows;
}
