import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { defineStoreConformance, waitFor } from './conformance';
import { openSqliteStore } from './sqlite';
import type { WatchEvent } from './types';

const root = mkdtempSync(join(tmpdir(), 'flotilla-sqlite-spec-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(root, `t${++n}`, 'store.db');

defineStoreConformance('sqlite (main-thread writer)', {
  open: () => openSqliteStore(freshPath(), { writer: 'main' }),
});
defineStoreConformance('sqlite (worker-thread writer)', {
  open: () => openSqliteStore(freshPath(), { writer: 'worker' }),
});

describe('sqlite store on disk', () => {
  it('keeps data, revisions and the compaction point across reopen', async () => {
    const path = freshPath();
    const first = await openSqliteStore(path);
    const a = await first.create('/k/a', 'a1');
    const a2 = await first.update('/k/a', 'a2', a.modRevision);
    await first.create('/k/b', 'b');
    await first.delete('/k/b'); // the newest row is a tombstone: compaction removes it
    await first.compact(4);
    await first.close();

    const second = await openSqliteStore(path);
    try {
      expect(await second.currentRevision()).toBe(4);
      expect(await second.compactRevision()).toBe(4);
      expect((await second.list('/k/')).kvs).toEqual([a2]);
      // The revision counter never goes back, even though the row holding revision 4 is gone.
      expect((await second.create('/k/c', 'c')).modRevision).toBe(5);
      await expect(second.list('/k/', { revision: 3 })).rejects.toMatchObject({ code: 'Compacted' });
    } finally {
      await second.close();
    }
  });

  it('writes one log row per write, with the row id as the revision', async () => {
    const path = freshPath();
    const store = await openSqliteStore(path);
    const a = await store.create('/k/a', '1');
    await store.update('/k/a', '2', a.modRevision);
    await store.delete('/k/a');
    await store.close();
    const db = new Database(path, { readonly: true });
    const rows = db.prepare('SELECT id, name, created, deleted, value FROM kv_log ORDER BY id').all();
    db.close();
    expect(rows).toEqual([
      { id: 1, name: '/k/a', created: 1, deleted: 0, value: '1' },
      { id: 2, name: '/k/a', created: 0, deleted: 0, value: '2' },
      { id: 3, name: '/k/a', created: 0, deleted: 1, value: '2' },
    ]);
  });

  it('groups concurrent writes into fewer transactions than writes', async () => {
    const path = freshPath();
    const store = await openSqliteStore(path);
    const db = new Database(path, { readonly: true });
    const before = db.pragma('data_version', { simple: true });
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.create(`/k/${i}`, 'v')));
    // data_version changes when another connection commits; a single group commit bumps it once.
    const after = db.pragma('data_version', { simple: true });
    db.close();
    await store.close();
    expect(after).not.toBe(before);
    expect(Number(after) - Number(before)).toBeLessThan(5);
  });

  it('a watch from a worker-writer store sees writes committed by the worker in order', async () => {
    const store = await openSqliteStore(freshPath(), { writer: 'worker' });
    const events: WatchEvent[] = [];
    const w = await store.watch('/k/', { afterRevision: 0 }, (evs) => events.push(...evs));
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.create(`/k/${i}`, 'v')));
    await waitFor(() => events.length === 50, '50 events');
    expect(events.map((e) => e.kv.modRevision)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    w.stop();
    await store.close();
  });

  it('refuses a database written by a newer schema', async () => {
    const path = freshPath();
    await (await openSqliteStore(path)).close();
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    await expect(openSqliteStore(path)).rejects.toThrow(/schema version 99/);
  });
});
