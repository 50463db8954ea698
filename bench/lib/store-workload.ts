// The store write workload shared by the store benchmarks: each writer cycles over its own keys,
// creating each once and then updating it guarded by its last modRevision — the API server's
// create / update pattern — with a ~1 KB value.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../../src-main/control-plane/store/types';
import { sampleValue } from './load';

export const KEYS_PER_WRITER = 64;

let runCounter = 0;

/** One write op for closedLoop(); each call of this function uses a fresh key space. */
export function storeWriteOp(store: Store): (worker: number, iteration: number) => Promise<void> {
  const prefix = `/registry/configmaps/bench-${++runCounter}/`;
  const modRevisions = new Map<string, number>();
  return async (worker, iteration) => {
    const key = `${prefix}w${worker}-k${iteration % KEYS_PER_WRITER}`;
    const value = sampleValue(key, iteration);
    const rev = modRevisions.get(key);
    const kv = rev === undefined ? await store.create(key, value) : await store.update(key, value, rev);
    modRevisions.set(key, kv.modRevision);
  };
}

/** The same keys and values as plain puts, for a peer that is driven with puts. */
export function putOp(
  put: (key: string, value: string) => Promise<unknown>,
): (worker: number, iteration: number) => Promise<void> {
  const prefix = `/registry/configmaps/bench-${++runCounter}/`;
  return async (worker, iteration) => {
    const key = `${prefix}w${worker}-k${iteration % KEYS_PER_WRITER}`;
    await put(key, sampleValue(key, iteration));
  };
}

export function benchSettings(): { seconds: number; repeats: number; concurrencies: number[] } {
  const seconds = Number(process.env.BENCH_SECONDS ?? 3);
  const repeats = Number(process.env.BENCH_REPEATS ?? 3);
  const concurrencies = (process.env.BENCH_CONCURRENCY ?? '1,16,256').split(',').map(Number);
  return { seconds, repeats, concurrencies };
}

export function tempDir(label: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `flotilla-bench-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
