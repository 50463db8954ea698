// The store: a narrow, revisioned key-value interface in the spirit of etcd v3 / kine.
// Every write gets the next revision of one global, gap-free counter. Values are opaque strings
// (the API server stores JSON). Only the API server uses this interface (DESIGN.md boundary 2).

export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that created this key (in its current life, since its last delete). */
  createRevision: number;
  /** Revision of the last write to this key. For a delete event: the revision of the delete. */
  modRevision: number;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  /** For put: the new value. For delete: the last value, with modRevision = the delete's revision. */
  kv: KeyValue;
  /** The value before this event; absent for a create. */
  prev?: KeyValue;
}

export interface RangeOptions {
  /** At most this many keys (0 or absent: all). */
  limit?: number;
  /** Start from this key (inclusive); it must lie under the prefix. Used for continue tokens. */
  startKey?: string;
  /** Read as of this revision (a consistent snapshot across pages). Fails with Compacted if too old. */
  revision?: number;
}

export interface RangeResult {
  /** Sorted by key. */
  kvs: KeyValue[];
  /** The revision the read was served at. */
  revision: number;
  /** True when keys beyond `limit` remain. */
  more: boolean;
}

export interface WatchOptions {
  /** Deliver every event with a revision greater than this, in order, then live events. */
  afterRevision: number;
}

export interface Watch {
  /** Stops delivery; idempotent. */
  stop(): void;
}

export type StoreErrorCode = 'KeyExists' | 'NotFound' | 'Conflict' | 'Compacted' | 'Closed' | 'TooLarge';

/** Errors are typed values with a code, so callers map them (409, 404, 410…) without parsing messages. */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** For Conflict / KeyExists: the key's current value. */
    readonly current?: KeyValue,
    /** For Compacted: the oldest revision still available. */
    readonly compactRevision?: number,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}

export interface Store {
  /** The URL the store was opened with (`sqlite:///…`, `memory://`, later `etcd://…`). */
  readonly url: string;

  get(key: string): Promise<{ kv: KeyValue | undefined; revision: number }>;
  list(prefix: string, options?: RangeOptions): Promise<RangeResult>;
  /** Number of live keys under a prefix (for `remainingItemCount`). */
  count(prefix: string): Promise<number>;

  /** Fails with KeyExists if the key is live. */
  create(key: string, value: string): Promise<KeyValue>;
  /** Fails with NotFound if absent, Conflict (with `current`) if its modRevision differs. */
  update(key: string, value: string, expectedModRevision: number): Promise<KeyValue>;
  /**
   * Deletes a key, optionally guarded by its modRevision. Returns the deleted value with
   * modRevision set to the delete's revision. Fails with NotFound / Conflict.
   */
  delete(key: string, expectedModRevision?: number): Promise<KeyValue>;

  /**
   * Watches every key under a prefix. Rejects with Compacted when `afterRevision` is older than the
   * compaction point. The listener receives events in revision order, each exactly once.
   */
  watch(prefix: string, options: WatchOptions, listener: (events: WatchEvent[]) => void): Promise<Watch>;

  currentRevision(): Promise<number>;
  /** Drops history at or below `revision` (live keys stay). */
  compact(revision: number): Promise<void>;
  /** The highest revision compacted away (0 if none). */
  compactRevision(): Promise<number>;

  close(): Promise<void>;
}
