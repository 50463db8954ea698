// The store's durable write throughput and p99 latency at 1, 16 and 256 concurrent writers, against
// a real etcd 3.4 doing the same writes in the same run, started here on loopback. etcd is driven
// over gRPC on one HTTP/2 connection, its native protocol and the fairest client available here
// (BENCH_ETCD_CLIENT=gateway uses the v3 HTTP/JSON gateway with keep-alive connections instead,
// which adds JSON and a proxy hop inside etcd). Ours: the sqlite backend with its default writer
// (BENCH_WRITER=main|worker to override), creates then guarded updates as the API server issues
// them. etcd: puts of the same keys and ~1 KB values. Both acknowledge only synced writes.
import { openSqliteStore } from '../src-main/control-plane/store/sqlite';
import type { WriterKind } from '../src-main/control-plane/store/sqlite-writer';
import { EtcdServer } from './lib/etcd';
import { closedLoop } from './lib/load';
import type { LoadResult } from './lib/load';
import { comparedRow } from './lib/results';
import type { BenchRow } from './lib/results';
import { median, percentile } from './lib/stats';
import { benchSettings, putOp, storeWriteOp, tempDir } from './lib/store-workload';

type Figures = { writesPerSecond: number; p99: number };

const figures = (res: LoadResult): Figures => ({
  writesPerSecond: res.opsPerSecond,
  p99: percentile(res.latencies, 99),
});

export async function run(): Promise<BenchRow[]> {
  const { seconds, repeats, concurrencies } = benchSettings();
  const writer = process.env.BENCH_WRITER as WriterKind | undefined;
  const etcd = await EtcdServer.start(); // fails with an install hint when etcd is missing
  const tmp = tempDir('store');
  const store = await openSqliteStore(`${tmp.dir}/store.db`, writer ? { writer } : {});
  const useGateway = process.env.BENCH_ETCD_CLIENT === 'gateway';
  const grpc = etcd.grpc();
  const put = useGateway
    ? (k: string, v: string) => etcd.put(k, v)
    : (k: string, v: string) => grpc.put(k, v);
  const peer = `etcd ${etcd.version}${useGateway ? ' (gateway)' : ''}`;
  const rows: BenchRow[] = [];
  try {
    for (const c of concurrencies) {
      await closedLoop(c, 500, storeWriteOp(store)); // warm up both
      await closedLoop(c, 500, putOp(put));
      const ours: Figures[] = [];
      const theirs: Figures[] = [];
      for (let r = 0; r < repeats; r++) {
        // Alternate runs so drift on a shared machine hits both sides alike.
        ours.push(figures(await closedLoop(c, seconds * 1000, storeWriteOp(store))));
        theirs.push(figures(await closedLoop(c, seconds * 1000, putOp(put))));
        const [o, t] = [ours[r] as Figures, theirs[r] as Figures];
        console.error(
          `c=${c} run ${r + 1}: ours ${Math.round(o.writesPerSecond)} writes/s p99 ${o.p99.toFixed(2)} ms; ` +
            `etcd ${Math.round(t.writesPerSecond)} writes/s p99 ${t.p99.toFixed(2)} ms`,
        );
      }
      const med = (runs: Figures[], k: keyof Figures) => median(runs.map((f) => f[k]));
      rows.push(
        comparedRow(
          `sqlite writes/s @${c}`,
          med(ours, 'writesPerSecond'),
          'writes/s',
          peer,
          med(theirs, 'writesPerSecond'),
          'higher',
        ),
        comparedRow(
          `sqlite p99 write latency @${c}`,
          med(ours, 'p99'),
          'ms',
          peer,
          med(theirs, 'p99'),
          'lower',
        ),
      );
    }
  } finally {
    await store.close();
    tmp.remove();
    await etcd.stop();
  }
  return rows;
}
