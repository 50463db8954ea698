// Readers for loosely typed JSON objects: strategies see objects after schema checks, but defensive reads keep a
// malformed field from turning into an exception instead of a field error.

export type Json = Record<string, unknown>;

export function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function rec(v: unknown): Json | undefined {
  return isRecord(v) ? v : undefined;
}

/** The record at `parent[key]`, created (and stored) when missing — for defaulting. */
export function ensureRec(parent: Json, key: string): Json {
  const existing = parent[key];
  if (isRecord(existing)) return existing;
  const created: Json = {};
  parent[key] = created;
  return created;
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function recList(v: unknown): Json[] {
  return list(v).filter(isRecord);
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(v)) return out;
  for (const [k, val] of Object.entries(v)) out[k] = typeof val === 'string' ? val : String(val);
  return out;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function setDefault(obj: Json, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null || obj[key] === '') obj[key] = value;
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Plain structural equality of JSON values (no empty-means-absent rule). */
export function deepEqualJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
