// In-memory backend: the full Store contract (MVCC history, snapshot reads, watch replay,
// compaction) without durability. For unit tests and fast test servers: `memory://`.
import { compareKeys, rangeStart } from './keys';
import { StoreError } from './types';
import type { KeyValue, RangeOptions, RangeResult, Store, Watch, WatchEvent, WatchOptions } from './types';
import { WatchHub, eventRevision } from './watch-hub';

/** One write to a key. A delete is a tombstone version carrying the last value. */
interface Version {
  revision: number;
  createRevision: number;
  value: string;
  deleted: boolean;
}

export class MemoryStore implements Store {
  private revision = 0;
  private compactedThrough = 0;
  private closed = false;
  /** Every key that still has history, live or deleted, with its versions in revision order. */
  private readonly history = new Map<string, Version[]>();
  /** The keys of `history`, sorted, for prefix scans. */
  private sortedKeys: string[] = [];
  /** Every event above the compaction point, in revision order, for watch replay. */
  private log: WatchEvent[] = [];
  private readonly hub = new WatchHub();

  constructor(readonly url = 'memory://') {}

  async get(key: string): Promise<{ kv: KeyValue | undefined; revision: number }> {
    this.checkOpen();
    return { kv: this.liveAt(key, this.revision), revision: this.revision };
  }

  async list(prefix: string, options: RangeOptions = {}): Promise<RangeResult> {
    this.checkOpen();
    const revision = this.readRevision(options.revision);
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const kvs: KeyValue[] = [];
    let more = false;
    for (let i = this.lowerBound(rangeStart(prefix, options.startKey)); i < this.sortedKeys.length; i++) {
      const key = this.sortedKeys[i] as string;
      if (!key.startsWith(prefix)) break;
      const kv = this.liveAt(key, revision);
      if (!kv) continue;
      if (kvs.length === limit) {
        more = true;
        break;
      }
      kvs.push(kv);
    }
    return { kvs, revision, more };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    let n = 0;
    for (let i = this.lowerBound(prefix); i < this.sortedKeys.length; i++) {
      const key = this.sortedKeys[i] as string;
      if (!key.startsWith(prefix)) break;
      if (this.liveAt(key, this.revision)) n++;
    }
    return n;
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.checkOpen();
    const current = this.liveAt(key, this.revision);
    if (current) throw new StoreError('KeyExists', `key ${key} already exists`, current);
    const revision = ++this.revision;
    this.append(key, { revision, createRevision: revision, value, deleted: false });
    const kv = { key, value, createRevision: revision, modRevision: revision };
    this.commit({ type: 'put', kv });
    return { ...kv };
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    this.checkOpen();
    const prev = this.guarded(key, expectedModRevision);
    const revision = ++this.revision;
    this.append(key, { revision, createRevision: prev.createRevision, value, deleted: false });
    const kv = { key, value, createRevision: prev.createRevision, modRevision: revision };
    this.commit({ type: 'put', kv, prev });
    return { ...kv };
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    this.checkOpen();
    const prev = this.guarded(key, expectedModRevision);
    const revision = ++this.revision;
    this.append(key, { revision, createRevision: prev.createRevision, value: prev.value, deleted: true });
    const kv = { ...prev, modRevision: revision };
    this.commit({ type: 'delete', kv, prev });
    return { ...kv };
  }

  async watch(
    prefix: string,
    options: WatchOptions,
    listener: (events: WatchEvent[]) => void,
  ): Promise<Watch> {
    this.checkOpen();
    const after = options.afterRevision;
    if (after < this.compactedThrough) throw this.compactedError(after);
    // Writes are synchronous here, so the log read and the subscription see the same revision.
    const replay: WatchEvent[] = [];
    for (let i = this.firstLogIndexAbove(after); i < this.log.length; i++) {
      const event = this.log[i] as WatchEvent;
      if (event.kv.key.startsWith(prefix)) replay.push(event);
    }
    return this.hub.subscribe(prefix, after, replay, this.revision, listener);
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.revision;
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (revision <= this.compactedThrough) return;
    if (revision > this.revision) {
      throw new StoreError('TooLarge', `cannot compact at ${revision}: current revision is ${this.revision}`);
    }
    for (const [key, versions] of this.history) {
      // Keep the last version at or below `revision` (it is the key's state there) unless it is a
      // tombstone, and everything after it.
      let keepFrom = versions.length;
      for (let i = versions.length - 1; i >= 0; i--) {
        if ((versions[i] as Version).revision <= revision) {
          keepFrom = (versions[i] as Version).deleted ? i + 1 : i;
          break;
        }
        keepFrom = i;
      }
      if (keepFrom >= versions.length) this.history.delete(key);
      else if (keepFrom > 0) this.history.set(key, versions.slice(keepFrom));
    }
    this.sortedKeys = this.sortedKeys.filter((k) => this.history.has(k));
    this.log = this.log.slice(this.firstLogIndexAbove(revision));
    this.compactedThrough = revision;
  }

  async compactRevision(): Promise<number> {
    this.checkOpen();
    return this.compactedThrough;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.hub.stopAll();
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError('Closed', 'store is closed');
  }

  private readRevision(requested: number | undefined): number {
    if (requested === undefined || requested <= 0) return this.revision;
    if (requested < this.compactedThrough) throw this.compactedError(requested);
    if (requested > this.revision) {
      throw new StoreError('TooLarge', `revision ${requested} is newer than the current ${this.revision}`);
    }
    return requested;
  }

  private compactedError(revision: number): StoreError {
    return new StoreError(
      'Compacted',
      `revision ${revision} has been compacted (oldest available: ${this.compactedThrough})`,
      undefined,
      this.compactedThrough,
    );
  }

  /** The key's live value as of `revision`, or undefined if absent or deleted then. */
  private liveAt(key: string, revision: number): KeyValue | undefined {
    const versions = this.history.get(key);
    if (!versions) return undefined;
    let lo = 0;
    let hi = versions.length - 1;
    let found: Version | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = versions[mid] as Version;
      if (v.revision <= revision) {
        found = v;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (!found || found.deleted) return undefined;
    return { key, value: found.value, createRevision: found.createRevision, modRevision: found.revision };
  }

  /** The live value a guarded write applies to, or the NotFound / Conflict error. */
  private guarded(key: string, expectedModRevision: number | undefined): KeyValue {
    const current = this.liveAt(key, this.revision);
    if (!current) throw new StoreError('NotFound', `key ${key} not found`);
    if (expectedModRevision !== undefined && current.modRevision !== expectedModRevision) {
      throw new StoreError(
        'Conflict',
        `key ${key} is at revision ${current.modRevision}, not ${expectedModRevision}`,
        current,
      );
    }
    return current;
  }

  private append(key: string, version: Version): void {
    const versions = this.history.get(key);
    if (versions) {
      versions.push(version);
      return;
    }
    this.history.set(key, [version]);
    this.sortedKeys.splice(this.lowerBound(key), 0, key);
  }

  private commit(event: WatchEvent): void {
    this.log.push(event);
    this.hub.publish([event]);
  }

  /** Index of the first key in sortedKeys that is >= `key`. */
  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.sortedKeys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareKeys(this.sortedKeys[mid] as string, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first log event with a revision above `revision`. */
  private firstLogIndexAbove(revision: number): number {
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (eventRevision(this.log[mid] as WatchEvent) <= revision) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export function openMemoryStore(url = 'memory://'): Store {
  return new MemoryStore(url);
}
