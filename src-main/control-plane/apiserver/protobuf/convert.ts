// Protobuf message → the JSON Kubernetes would produce for the same Go object: field names and
// omission rules come from the Go struct tags (see table.ts), and the types with their own JSON
// form (Time, Quantity, IntOrString, …) are converted here.
import { ProtobufDecodeError } from './errors';
import type { FieldDef, MessageDef, MessageTable, ScalarType } from './table';
import { WireReader, WireType } from './wire';

const utf8 = new TextDecoder('utf-8');
const SCALARS = new Set(['bool', 'int32', 'int64', 'uint32', 'uint64', 'double', 'string', 'bytes']);

/** What a special type converts to when it holds its zero value and Go would write `null`. */
const OMIT = Symbol('omit');

export interface ConvertContext {
  table: MessageTable;
  /** Decodes an embedded `k8s\0` object (RawExtension holding protobuf); set by decode.ts. */
  decodeEmbedded?: (bytes: Uint8Array) => unknown;
}

export function messageToJson(
  bytes: Uint8Array,
  messageName: string,
  ctx: ConvertContext,
  path = messageName,
): unknown {
  const value = convertMessage(bytes, messageName, ctx, path);
  return value === OMIT ? null : value;
}

function messageDef(name: string, ctx: ConvertContext, path: string): MessageDef {
  const def = ctx.table.messages[name];
  if (!def)
    throw new ProtobufDecodeError('UnknownKind', `no protobuf table for message ${name} (at ${path})`);
  return def;
}

function convertMessage(bytes: Uint8Array, name: string, ctx: ConvertContext, path: string): unknown {
  const def = messageDef(name, ctx, path);
  const raw = readFields(bytes, def, ctx, path);
  if (def.special) return convertSpecial(def.special, raw, ctx, path);
  const out: Record<string, unknown> = {};
  for (const n of fieldNumbers(def)) {
    if (!raw.has(n)) continue; // unset on the wire: a nil pointer, or an empty list or map
    const field = def.fields[n]!;
    let value = raw.get(n);
    if (value === OMIT) continue;
    if (field.map) {
      if (Object.keys(value as object).length === 0 && field.presence !== 'pointer') continue;
    } else if (field.repeated) {
      if ((value as unknown[]).length === 0) continue;
      if (field.type === 'bytes') value = (value as Uint8Array[]).map(base64);
    } else if (SCALARS.has(field.type)) {
      if (field.presence === 'omitempty' && isZero(value)) continue;
      if (field.type === 'bytes') value = base64(value as Uint8Array);
    }
    if (field.inline) {
      if (value && typeof value === 'object' && !Array.isArray(value)) Object.assign(out, value);
      continue;
    }
    out[field.name] = value;
  }
  return out;
}

const sortedNumbers = new WeakMap<MessageDef, number[]>();

/** A message's field numbers in order (Go writes struct fields in about that order). */
function fieldNumbers(def: MessageDef): number[] {
  let numbers = sortedNumbers.get(def);
  if (!numbers) {
    numbers = Object.keys(def.fields)
      .map(Number)
      .sort((a, b) => a - b);
    sortedNumbers.set(def, numbers);
  }
  return numbers;
}

function isZero(value: unknown): boolean {
  if (value instanceof Uint8Array) return value.length === 0;
  return value === 0 || value === false || value === '';
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
}

/** Reads every field of one message: scalars as JS values (bytes as Uint8Array), messages converted. */
function readFields(
  bytes: Uint8Array,
  def: MessageDef,
  ctx: ConvertContext,
  path: string,
): Map<number, unknown> {
  const r = new WireReader(bytes);
  const raw = new Map<number, unknown>();
  while (!r.done()) {
    const { number, wireType } = r.header();
    const field = def.fields[number];
    if (!field) {
      r.skip(wireType, number); // a field newer than our table: ignore, as Go's decoder does
      continue;
    }
    const where = `${path}.${field.name}`;
    if (field.map) {
      const entry = expect(r, wireType, WireType.LengthDelimited, where).bytes();
      const [k, v] = readMapEntry(entry, field, ctx, where);
      const obj = (raw.get(number) as Record<string, unknown> | undefined) ?? {};
      obj[String(k)] = v === OMIT ? null : v;
      raw.set(number, obj);
    } else if (field.repeated) {
      const list = (raw.get(number) as unknown[] | undefined) ?? [];
      if (wireType === WireType.LengthDelimited && isPackable(field.type)) {
        const packed = new WireReader(r.bytes());
        while (!packed.done())
          list.push(readScalar(packed, scalarWireType(field.type), field.type as ScalarType, where));
      } else {
        const v = readValue(r, wireType, field.type, ctx, `${where}[${list.length}]`);
        list.push(v === OMIT ? null : v);
      }
      raw.set(number, list);
    } else {
      raw.set(number, readValue(r, wireType, field.type, ctx, where));
    }
  }
  return raw;
}

function readMapEntry(
  entry: Uint8Array,
  field: FieldDef,
  ctx: ConvertContext,
  where: string,
): [unknown, unknown] {
  const r = new WireReader(entry);
  const { key, value: valueType } = field.map!;
  let k: unknown = zeroOf(key);
  let v: unknown;
  while (!r.done()) {
    const h = r.header();
    if (h.number === 1) k = readScalar(r, h.wireType, key, `${where} key`);
    else if (h.number === 2) v = readValue(r, h.wireType, valueType, ctx, `${where}[${String(k)}]`);
    else r.skip(h.wireType, h.number);
  }
  if (v === undefined)
    v = SCALARS.has(valueType)
      ? zeroOf(valueType as ScalarType)
      : convertMessage(new Uint8Array(0), valueType, ctx, where);
  if (v instanceof Uint8Array) v = base64(v);
  return [k, v];
}

function zeroOf(type: ScalarType): unknown {
  if (type === 'bool') return false;
  if (type === 'string') return '';
  if (type === 'bytes') return new Uint8Array(0);
  return 0;
}

function isPackable(type: string): boolean {
  return SCALARS.has(type) && type !== 'string' && type !== 'bytes';
}

function scalarWireType(type: string): WireType {
  if (type === 'double') return WireType.Fixed64;
  if (type === 'string' || type === 'bytes') return WireType.LengthDelimited;
  return WireType.Varint;
}

function expect(r: WireReader, got: WireType, want: WireType, where: string): WireReader {
  if (got !== want) {
    throw new ProtobufDecodeError(
      'Malformed',
      `malformed protobuf: ${where} has wire type ${got}, expected ${want}`,
    );
  }
  return r;
}

function readValue(
  r: WireReader,
  wireType: WireType,
  type: string,
  ctx: ConvertContext,
  where: string,
): unknown {
  if (SCALARS.has(type)) return readScalar(r, wireType, type as ScalarType, where);
  const bytes = expect(r, wireType, WireType.LengthDelimited, where).bytes();
  return convertMessage(bytes, type, ctx, where);
}

function readScalar(r: WireReader, wireType: WireType, type: ScalarType, where: string): unknown {
  expect(r, wireType, scalarWireType(type), where);
  switch (type) {
    case 'bool': {
      const v = r.varint();
      return v !== 0 && v !== 0n;
    }
    case 'int32': {
      const v = r.varint(); // negative values arrive sign-extended to 64 bits (a BigInt)
      return typeof v === 'number' ? v | 0 : Number(BigInt.asIntN(32, v));
    }
    case 'int64': {
      const v = r.varint();
      return typeof v === 'number' ? v : Number(BigInt.asIntN(64, v));
    }
    case 'uint32': {
      const v = r.varint();
      return typeof v === 'number' ? v >>> 0 : Number(BigInt.asUintN(32, v));
    }
    case 'uint64':
      return Number(r.varint());
    case 'double':
      return r.fixed64().getFloat64(0, true);
    case 'string':
      return utf8.decode(r.bytes());
    case 'bytes':
      return r.bytes();
  }
}

// ---------------------------------------------------------------------------------------------
// Types with their own JSON form.

function convertSpecial(
  special: NonNullable<MessageDef['special']>,
  raw: Map<number, unknown>,
  ctx: ConvertContext,
  path: string,
): unknown {
  switch (special) {
    case 'Time':
    case 'MicroTime': {
      const seconds = (raw.get(1) as number | undefined) ?? 0;
      const nanos = (raw.get(2) as number | undefined) ?? 0;
      if (seconds === 0 && nanos === 0) return OMIT; // Go's zero time: `null` in JSON
      return special === 'Time' ? rfc3339(seconds) : rfc3339(seconds, Math.floor(nanos / 1000));
    }
    case 'Duration':
      return goDuration(BigInt((raw.get(1) as number | undefined) ?? 0));
    case 'Quantity':
      return (raw.get(1) as string | undefined) || '0';
    case 'IntOrString':
      return raw.get(1) === 1
        ? ((raw.get(3) as string | undefined) ?? '')
        : ((raw.get(2) as number | undefined) ?? 0);
    case 'FieldsV1':
      return embeddedJson(raw.get(1) as Uint8Array | undefined, path);
    case 'RawExtension': {
      const bytes = raw.get(1) as Uint8Array | undefined;
      if (
        bytes &&
        ctx.decodeEmbedded &&
        bytes.length >= 4 &&
        bytes[0] === 0x6b &&
        bytes[1] === 0x38 &&
        bytes[2] === 0x73 &&
        bytes[3] === 0
      ) {
        return ctx.decodeEmbedded(bytes);
      }
      return embeddedJson(bytes, path);
    }
    case 'StringList':
      return (raw.get(1) as string[] | undefined) ?? [];
    case 'Unknown':
      throw new ProtobufDecodeError('Malformed', `malformed protobuf: a runtime.Unknown nested at ${path}`);
  }
}

function embeddedJson(bytes: Uint8Array | undefined, path: string): unknown {
  if (!bytes || bytes.length === 0) return OMIT;
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    throw new ProtobufDecodeError(
      'UnsupportedEncoding',
      `${path} holds ${bytes.length} bytes that are not JSON`,
    );
  }
}

/** RFC 3339 in UTC, as metav1.Time (seconds) and metav1.MicroTime (6 fraction digits) write it. */
export function rfc3339(seconds: number, micros?: number): string {
  const iso = new Date(seconds * 1000).toISOString(); // 2026-11-25T19:00:00.000Z
  const base = iso.slice(0, iso.indexOf('.'));
  return micros === undefined ? `${base}Z` : `${base}.${String(micros).padStart(6, '0')}Z`;
}

/** time.Duration.String(): "1h2m3.5s", "1.5ms", "0s". */
export function goDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  let u = ns < 0n ? -ns : ns;
  const frac = (v: bigint, unit: bigint): string => {
    const whole = v / unit;
    const rest = (v % unit)
      .toString()
      .padStart(unit.toString().length - 1, '0')
      .replace(/0+$/, '');
    return rest ? `${whole}.${rest}` : `${whole}`;
  };
  if (u < 1000n) return `${sign}${u}ns`;
  if (u < 1_000_000n) return `${sign}${frac(u, 1000n)}µs`;
  if (u < 1_000_000_000n) return `${sign}${frac(u, 1_000_000n)}ms`;
  const hours = u / 3_600_000_000_000n;
  u %= 3_600_000_000_000n;
  const minutes = u / 60_000_000_000n;
  u %= 60_000_000_000n;
  const secs = `${frac(u, 1_000_000_000n)}s`;
  if (hours > 0n) return `${sign}${hours}h${minutes}m${secs}`;
  if (minutes > 0n) return `${sign}${minutes}m${secs}`;
  return `${sign}${secs}`;
}
