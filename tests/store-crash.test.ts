// Durability under real crashes: a child process writes to a sqlite store as fast as it can and is
// killed with SIGKILL at random moments, over and over, on the same database. After every kill the
// database must hold every write the child acknowledged, revisions must run 1..current with no gap
// (every write, deletes included, is one log row), and a watch from an old revision must replay the
// history in order.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../src-main/control-plane/store/conformance';
import { openSqliteStore } from '../src-main/control-plane/store/sqlite';
import type { WatchEvent } from '../src-main/control-plane/store/types';

const FIXTURE = fileURLToPath(new URL('./fixtures/store-crash-writer.ts', import.meta.url));
const KILLS = 20;
const WRITERS = 8;

interface Ack {
  t: 'put' | 'delete';
  k: string;
  r: number;
  v: string;
}

const root = mkdtempSync(join(tmpdir(), 'flotilla-store-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs the writer until a random moment after it is ready, kills it, returns its acknowledged writes. */
async function runAndKill(dbPath: string, runId: number, writer: 'main' | 'worker'): Promise<Ack[]> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', FIXTURE, dbPath, String(runId), writer, String(WRITERS)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  try {
    await waitFor(
      () => out.includes('"ready":true') || child.exitCode !== null,
      'the writer to start',
      20_000,
    );
    if (child.exitCode !== null) throw new Error(`writer exited early (${child.exitCode}): ${err}`);
    const readyAt = Date.now();
    const delay = 20 + Math.random() * 250;
    await waitFor(() => Date.now() - readyAt >= delay, 'the kill moment');
  } finally {
    child.kill('SIGKILL');
  }
  expect(await exited).toBe('SIGKILL');
  // Only complete lines count: a line cut by the kill is not an acknowledgement we can read.
  const lines = out
    .slice(0, out.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean);
  return lines.map((l) => JSON.parse(l) as Ack | { ready: true }).filter((x): x is Ack => 'k' in x);
}

describe('sqlite store survives SIGKILL', () => {
  it(`keeps every acknowledged write across ${KILLS} kills, with gap-free revisions`, async () => {
    const dbPath = join(root, 'crash.db');
    const acked = new Map<number, Ack>();
    let unacked = 0;
    for (let run = 1; run <= KILLS; run++) {
      const writer = run % 2 ? 'main' : 'worker';
      for (const ack of await runAndKill(dbPath, run, writer)) acked.set(ack.r, ack);

      const store = await openSqliteStore(dbPath);
      try {
        const current = await store.currentRevision();
        const events: WatchEvent[] = [];
        const watch = await store.watch('/', { afterRevision: 0 }, (evs) => events.push(...evs));
        await waitFor(() => events.length >= current, `replay up to ${current}`);
        watch.stop();

        // Gap-free: one event per revision 1..current, in order.
        expect(events.map((e) => e.kv.modRevision)).toEqual(Array.from({ length: current }, (_, i) => i + 1));

        // Every acknowledged write is there, at its revision, with its value.
        for (const ack of acked.values()) {
          const e = events[ack.r - 1] as WatchEvent;
          expect({ t: e.type, k: e.kv.key, r: e.kv.modRevision, v: e.kv.value }).toEqual(ack);
        }
        // Committed but unacknowledged writes (done when the kill came, not yet printed) are allowed,
        // at most one per writer per kill.
        unacked = current - acked.size;
        expect(unacked).toBeGreaterThanOrEqual(0);
        expect(unacked).toBeLessThanOrEqual(WRITERS * run);

        // The live state agrees with the log folded up to now.
        const state = new Map<string, string>();
        for (const e of events) {
          if (e.type === 'put') state.set(e.kv.key, e.kv.value);
          else state.delete(e.kv.key);
        }
        const listed = await store.list('/');
        expect(listed.revision).toBe(current);
        expect(new Map(listed.kvs.map((kv) => [kv.key, kv.value]))).toEqual(state);

        // A watch from an old revision replays the same history from there, in order.
        const from = Math.floor(current / 2);
        const tail: WatchEvent[] = [];
        const tailWatch = await store.watch('/', { afterRevision: from }, (evs) => tail.push(...evs));
        await waitFor(() => tail.length >= current - from, `replay from ${from}`);
        tailWatch.stop();
        expect(tail).toEqual(events.slice(from));
      } finally {
        await store.close();
      }
    }
    // The kills landed mid-stream, not only before the first write.
    expect(acked.size).toBeGreaterThan(KILLS * 10);
    console.log(
      `store-crash: ${KILLS} kills, ${acked.size} acknowledged writes, ${unacked} committed unacknowledged`,
    );
  }, 90_000);
});
