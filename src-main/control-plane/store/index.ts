// openStore(url): the one way the rest of Flotilla gets a Store. Backends are drivers registered by
// URL scheme (in the manner of kine's pkg/drivers/registry.go), so a new backend such as `etcd://`
// is one registerDriver() call and callers do not change.
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openMemoryStore } from './memory';
import { openSqliteStore } from './sqlite';
import type { SqliteStoreOptions } from './sqlite';
import type { Store } from './types';

export type { Store } from './types';
export { StoreError, isStoreError } from './types';

/** Opens a store for a parsed URL. `url` is the caller's string, kept as `store.url`. */
export type StoreDriver = (url: string, parsed: URL) => Promise<Store>;

const drivers = new Map<string, StoreDriver>();

/** Registers a driver for a scheme such as `sqlite` (no colon). A later registration replaces it. */
export function registerDriver(scheme: string, driver: StoreDriver): void {
  drivers.set(scheme.toLowerCase(), driver);
}

export function registeredSchemes(): string[] {
  return [...drivers.keys()].sort();
}

export class StoreUrlError extends Error {
  readonly code = 'InvalidStoreUrl';
  constructor(message: string) {
    super(message);
    this.name = 'StoreUrlError';
  }
}

export async function openStore(url: string): Promise<Store> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreUrlError(
      `invalid store URL "${url}": expected e.g. sqlite:///path/to/flotilla.db or memory://`,
    );
  }
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  const driver = drivers.get(scheme);
  if (!driver) {
    const known = registeredSchemes()
      .map((s) => `${s}://`)
      .join(', ');
    throw new StoreUrlError(`unknown store URL scheme "${scheme}://" in "${url}" (supported: ${known})`);
  }
  return driver(url, parsed);
}

/**
 * The file a sqlite URL names: `sqlite:///abs/file.db` is absolute; `sqlite://rel/file.db` is
 * relative to the working directory. `?writer=main|worker` picks where writes run.
 */
export function sqlitePath(url: string, cwd = process.cwd()): string {
  const rest = url.replace(/^sqlite:\/\//i, '').replace(/[?#].*$/, '');
  if (rest === '' || rest === '/') throw new StoreUrlError(`sqlite store URL "${url}" names no file`);
  const path = rest.startsWith('/') ? fileURLToPath(`file://${rest}`) : decodeURIComponent(rest);
  return isAbsolute(path) ? path : resolve(cwd, path);
}

function sqliteOptions(parsed: URL): SqliteStoreOptions {
  const writer = parsed.searchParams.get('writer');
  if (writer === null) return {};
  if (writer !== 'main' && writer !== 'worker') {
    throw new StoreUrlError(`sqlite store URL: writer must be "main" or "worker", not "${writer}"`);
  }
  return { writer };
}

registerDriver('memory', async (url) => openMemoryStore(url));
registerDriver('sqlite', async (url, parsed) => openSqliteStore(sqlitePath(url), sqliteOptions(parsed), url));
