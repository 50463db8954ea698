// Closed-loop load: N concurrent workers, each issuing its next operation as soon as the previous
// one completes, for a fixed time. Reports completed operations per second and per-op latencies.
import { performance } from 'node:perf_hooks';

export interface LoadResult {
  ops: number;
  seconds: number;
  opsPerSecond: number;
  /** Per-operation latencies in milliseconds. */
  latencies: number[];
}

export async function closedLoop(
  concurrency: number,
  durationMs: number,
  op: (worker: number, iteration: number) => Promise<unknown>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const start = performance.now();
  const deadline = start + durationMs;
  const runWorker = async (worker: number) => {
    for (let i = 0; performance.now() < deadline; i++) {
      const t0 = performance.now();
      await op(worker, i);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => runWorker(w)));
  const seconds = (performance.now() - start) / 1000;
  return { ops: latencies.length, seconds, opsPerSecond: latencies.length / seconds, latencies };
}

/** A ~1 KB JSON value shaped like a small Kubernetes object. */
export function sampleValue(name: string, generation: number): string {
  const obj = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: 'bench',
      uid: '6f1d3c2a-5b7e-4c9d-8a1f-0e2b3c4d5e6f',
      generation,
      labels: { app: 'bench', tier: 'store', generation: String(generation) },
      annotations: { 'flotilla.dev/note': 'benchmark payload' },
    },
    data: { payload: '' },
  };
  const base = JSON.stringify(obj).length;
  obj.data.payload = 'x'.repeat(Math.max(0, 1024 - base));
  return JSON.stringify(obj);
}
