// The SQLite schema and every statement the sqlite backend runs, kine-style: one table that is a log
// of writes. Each write (create, update, delete) is a row; the row id is its revision, so revisions
// are global, gap-free and increasing. A key's state at revision R is its last row with id <= R (a
// delete row is a tombstone carrying the last value). This class is synchronous and holds one
// connection, so the same code runs on the main thread or inside a worker (see sqlite.ts).
import Database from 'better-sqlite3';
import { prefixEnd, rangeStart } from './keys';
import type { KeyValue, RangeResult, StoreErrorCode, WatchEvent } from './types';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT, -- the revision; AUTOINCREMENT keeps the high-water mark in
                                        -- sqlite_sequence even after compaction deletes the top row
  name TEXT NOT NULL,
  created INTEGER NOT NULL,         -- 1: this row creates the key (no previous value)
  deleted INTEGER NOT NULL,         -- 1: tombstone; value is the value it deleted
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,   -- the key's previous row (0 if none): the watch event's prev value
  value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS kv_log_name_id ON kv_log (name, id);
CREATE TABLE IF NOT EXISTS kv_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

/** One write, as queued by the store and sent (structured-cloned) to a worker. */
export type WriteOp =
  | { op: 'create'; key: string; value: string }
  | { op: 'update'; key: string; value: string; expected: number }
  | { op: 'delete'; key: string; expected?: number }
  | { op: 'compact'; revision: number };

/** Each op's own result: its event, or the typed error for that op alone. Plain data (crosses threads). */
export type WriteOutcome =
  | { ok: true; event?: WatchEvent }
  | {
      ok: false;
      code: StoreErrorCode;
      message: string;
      current?: KeyValue;
      compactRevision?: number;
    };

interface LogRow {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  value: string;
}

interface ReplayRow extends LogRow {
  p_id: number | null;
  p_create: number | null;
  p_value: string | null;
}

/** A read failed for a reason the store reports as a typed error. */
export class ReadRejection extends Error {
  constructor(
    readonly code: 'Compacted' | 'TooLarge',
    message: string,
    readonly compactRevision?: number,
  ) {
    super(message);
  }
}

const REPLAY_PAGE = 1000;

export class SqliteLog {
  private readonly db: Database.Database;
  private readonly stmt: ReturnType<SqliteLog['prepare']>;
  private readonly writeBatch: (ops: WriteOp[]) => WriteOutcome[];

  constructor(readonly path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // FULL: the WAL is synced on every commit, so a write is durable once its promise resolves.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 10000');
    this.initSchema();
    this.stmt = this.prepare();
    this.writeBatch = this.db.transaction((ops: WriteOp[]) => this.applyAll(ops)).immediate;
  }

  private initSchema(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`${this.path}: store schema version ${version} is newer than this build understands`);
    }
    if (version === SCHEMA_VERSION) return;
    this.db
      .transaction(() => {
        this.db.exec(SCHEMA);
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })
      .immediate();
  }

  private prepare() {
    const cols = 'l.id, l.name, l.created, l.deleted, l.create_revision, l.prev_revision, l.value';
    const latestIds = (bounded: boolean) =>
      `SELECT MAX(id) AS id FROM kv_log WHERE name >= @start ${bounded ? 'AND name < @end' : ''}
       AND id <= @rev GROUP BY name`;
    const list = (bounded: boolean) =>
      this.db.prepare<Record<string, unknown>, LogRow>(
        `SELECT ${cols} FROM kv_log l JOIN (${latestIds(bounded)}) m ON l.id = m.id
         WHERE l.deleted = 0 ORDER BY l.name LIMIT @limit`,
      );
    const count = (bounded: boolean) =>
      this.db.prepare<Record<string, unknown>, { n: number }>(
        `SELECT COUNT(*) AS n FROM kv_log l JOIN (${latestIds(bounded)}) m ON l.id = m.id WHERE l.deleted = 0`,
      );
    // Replay walks the rowid range (NOT INDEXED keeps the planner off the name index): watches start
    // near the head, so the id range is the short side.
    const replay = (bounded: boolean) =>
      this.db.prepare<Record<string, unknown>, ReplayRow>(
        `SELECT ${cols}, p.id AS p_id, p.create_revision AS p_create, p.value AS p_value
         FROM kv_log AS l NOT INDEXED LEFT JOIN kv_log AS p ON p.id = l.prev_revision AND l.created = 0
         WHERE l.id > @after AND l.id <= @through AND l.name >= @start ${bounded ? 'AND l.name < @end' : ''}
         ORDER BY l.id LIMIT ${REPLAY_PAGE}`,
      );
    return {
      latest: this.db.prepare<[string], LogRow>(
        `SELECT ${cols} FROM kv_log l WHERE l.name = ? ORDER BY l.id DESC LIMIT 1`,
      ),
      insert: this.db.prepare(
        `INSERT INTO kv_log (id, name, created, deleted, create_revision, prev_revision, value)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      revision: this.db.prepare<[], { seq: number }>(`SELECT seq FROM sqlite_sequence WHERE name = 'kv_log'`),
      compactRevision: this.db.prepare<[], { value: number }>(
        `SELECT value FROM kv_meta WHERE name = 'compact_revision'`,
      ),
      setCompactRevision: this.db.prepare(
        `INSERT INTO kv_meta (name, value) VALUES ('compact_revision', ?)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
      ),
      // A row at or below the compaction point goes if a later row at or below it supersedes it, or
      // if it is a tombstone (the key is absent there); the latest row of each live key stays.
      compact: this.db.prepare(
        `DELETE FROM kv_log WHERE id <= @rev
         AND (deleted = 1 OR id IN (SELECT prev_revision FROM kv_log WHERE id <= @rev))`,
      ),
      listBounded: list(true),
      listOpen: list(false),
      countBounded: count(true),
      countOpen: count(false),
      replayBounded: replay(true),
      replayOpen: replay(false),
    };
  }

  /** Applies a batch of writes in one transaction (one fsync). Each op gets its own outcome. */
  applyBatch(ops: WriteOp[]): WriteOutcome[] {
    return this.writeBatch(ops);
  }

  private applyAll(ops: WriteOp[]): WriteOutcome[] {
    let revision = this.readRevision();
    const outcomes: WriteOutcome[] = [];
    for (const op of ops) {
      if (op.op === 'compact') {
        outcomes.push(this.applyCompact(op.revision, revision));
        continue;
      }
      const row = this.stmt.latest.get(op.key);
      const current = row && !row.deleted ? toKv(row) : undefined;
      let outcome: WriteOutcome;
      if (op.op === 'create') {
        if (current) {
          outcome = { ok: false, code: 'KeyExists', message: `key ${op.key} already exists`, current };
        } else {
          const id = ++revision;
          this.stmt.insert.run(id, op.key, 1, 0, id, row?.id ?? 0, op.value);
          const kv = { key: op.key, value: op.value, createRevision: id, modRevision: id };
          outcome = { ok: true, event: { type: 'put', kv } };
        }
      } else {
        const expected = op.expected;
        if (!current) {
          outcome = { ok: false, code: 'NotFound', message: `key ${op.key} not found` };
        } else if (expected !== undefined && current.modRevision !== expected) {
          const message = `key ${op.key} is at revision ${current.modRevision}, not ${expected}`;
          outcome = { ok: false, code: 'Conflict', message, current };
        } else if (op.op === 'update') {
          const id = ++revision;
          this.stmt.insert.run(id, op.key, 0, 0, current.createRevision, current.modRevision, op.value);
          const kv = {
            key: op.key,
            value: op.value,
            createRevision: current.createRevision,
            modRevision: id,
          };
          outcome = { ok: true, event: { type: 'put', kv, prev: current } };
        } else {
          const id = ++revision;
          this.stmt.insert.run(id, op.key, 0, 1, current.createRevision, current.modRevision, current.value);
          outcome = {
            ok: true,
            event: { type: 'delete', kv: { ...current, modRevision: id }, prev: current },
          };
        }
      }
      outcomes.push(outcome);
    }
    return outcomes;
  }

  private applyCompact(target: number, revision: number): WriteOutcome {
    if (target <= this.readCompactRevision()) return { ok: true };
    if (target > revision) {
      return {
        ok: false,
        code: 'TooLarge',
        message: `cannot compact at ${target}: current revision is ${revision}`,
      };
    }
    this.stmt.compact.run({ rev: target });
    this.stmt.setCompactRevision.run(target);
    return { ok: true };
  }

  /** Runs reads in one read transaction: a consistent snapshot even while another connection writes. */
  read<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    return this.db.transaction(fn).deferred();
  }

  readRevision(): number {
    return this.stmt.revision.get()?.seq ?? 0;
  }

  readCompactRevision(): number {
    return this.stmt.compactRevision.get()?.value ?? 0;
  }

  get(key: string): { kv: KeyValue | undefined; revision: number } {
    return this.read(() => {
      const row = this.stmt.latest.get(key);
      return { kv: row && !row.deleted ? toKv(row) : undefined, revision: this.readRevision() };
    });
  }

  list(prefix: string, options: { limit?: number; startKey?: string; revision?: number }): RangeResult {
    return this.read(() => {
      const revision = this.snapshotRevision(options.revision);
      const limit = options.limit && options.limit > 0 ? options.limit : 0;
      const end = prefixEnd(prefix);
      const params = {
        start: rangeStart(prefix, options.startKey),
        end,
        rev: revision,
        limit: limit ? limit + 1 : -1,
      };
      const rows = (end === undefined ? this.stmt.listOpen : this.stmt.listBounded).all(params);
      const more = limit > 0 && rows.length > limit;
      if (more) rows.length = limit;
      return { kvs: rows.map(toKv), revision, more };
    });
  }

  count(prefix: string): number {
    return this.read(() => {
      const end = prefixEnd(prefix);
      const params = { start: prefix, end, rev: this.readRevision() };
      return (end === undefined ? this.stmt.countOpen : this.stmt.countBounded).get(params)?.n ?? 0;
    });
  }

  /**
   * Every event under `prefix` above `after`, in order, and the revision the read covered. Fails
   * with Compacted when `after` lies below the compaction point.
   */
  replay(prefix: string, after: number): { events: WatchEvent[]; through: number } {
    return this.read(() => {
      const compacted = this.readCompactRevision();
      if (after < compacted) throw compactedRejection(after, compacted);
      const through = this.readRevision();
      const end = prefixEnd(prefix);
      const stmt = end === undefined ? this.stmt.replayOpen : this.stmt.replayBounded;
      const events: WatchEvent[] = [];
      let cursor = after;
      for (;;) {
        const rows = stmt.all({ after: cursor, through, start: prefix, end });
        for (const row of rows) events.push(toEvent(row));
        if (rows.length < REPLAY_PAGE) break;
        cursor = (rows[rows.length - 1] as ReplayRow).id;
      }
      return { events, through };
    });
  }

  private snapshotRevision(requested: number | undefined): number {
    const current = this.readRevision();
    if (requested === undefined || requested <= 0) return current;
    const compacted = this.readCompactRevision();
    if (requested < compacted) throw compactedRejection(requested, compacted);
    if (requested > current) {
      throw new ReadRejection('TooLarge', `revision ${requested} is newer than the current ${current}`);
    }
    return requested;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function compactedRejection(revision: number, compacted: number): ReadRejection {
  return new ReadRejection(
    'Compacted',
    `revision ${revision} has been compacted (oldest available: ${compacted})`,
    compacted,
  );
}

function toKv(row: LogRow): KeyValue {
  return { key: row.name, value: row.value, createRevision: row.create_revision, modRevision: row.id };
}

function toEvent(row: ReplayRow): WatchEvent {
  const kv = toKv(row);
  const prev =
    row.p_id !== null
      ? {
          key: row.name,
          value: row.p_value as string,
          createRevision: row.p_create as number,
          modRevision: row.p_id,
        }
      : undefined;
  const event: WatchEvent = { type: row.deleted ? 'delete' : 'put', kv };
  if (prev) event.prev = prev;
  return event;
}
