import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreUrlError, openStore, registerDriver, registeredSchemes, sqlitePath } from './index';
import { MemoryStore } from './memory';

const root = mkdtempSync(join(tmpdir(), 'flotilla-open-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('openStore', () => {
  it('opens a memory store for memory://', async () => {
    const store = await openStore('memory://');
    expect(store).toBeInstanceOf(MemoryStore);
    expect(store.url).toBe('memory://');
    await store.create('/a', '1');
    await store.close();
  });

  it('opens a sqlite store at an absolute path, creating its folder', async () => {
    const file = join(root, 'abs', 'flotilla.db');
    const url = `sqlite://${file}`;
    const store = await openStore(url);
    expect(store.url).toBe(url);
    await store.create('/a', '1');
    await store.close();
    expect(existsSync(file)).toBe(true);
  });

  it('resolves sqlite://relative paths against the working directory', () => {
    expect(sqlitePath('sqlite://data/flotilla.db', '/srv/x')).toBe('/srv/x/data/flotilla.db');
    expect(sqlitePath('sqlite:///var/lib/f.db?writer=worker', '/srv/x')).toBe('/var/lib/f.db');
    expect(sqlitePath('sqlite:///tmp/with%20space.db')).toBe('/tmp/with space.db');
    expect(() => sqlitePath('sqlite://')).toThrow(StoreUrlError);
  });

  it('chooses the writer thread from the URL and rejects a bad choice', async () => {
    const store = await openStore(`sqlite://${join(root, 'w', 'f.db')}?writer=worker`);
    await store.create('/a', '1');
    await store.close();
    await expect(openStore(`sqlite://${join(root, 'w2', 'f.db')}?writer=gpu`)).rejects.toThrow(
      /writer must be/,
    );
  });

  it('names the supported schemes when a scheme is unknown', async () => {
    await expect(openStore('etcd://127.0.0.1:2379')).rejects.toThrow(
      /unknown store URL scheme "etcd:\/\/".*supported: memory:\/\/, sqlite:\/\//,
    );
    await expect(openStore('not a url')).rejects.toBeInstanceOf(StoreUrlError);
  });

  it('lets a new driver be registered without touching callers', async () => {
    registerDriver('test-mem', async (url) => new MemoryStore(url));
    expect(registeredSchemes()).toContain('test-mem');
    const store = await openStore('test-mem://anything');
    expect(store.url).toBe('test-mem://anything');
    await store.close();
  });
});
