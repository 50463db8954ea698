// Generates src-main/control-plane/apiserver/protobuf/generated/messages.json: the protobuf field
// table the API server needs to decode `application/vnd.kubernetes.protobuf` request bodies, for
// every message reachable from the kinds Flotilla serves (RESOURCES and their Lists) plus the
// subresource and meta kinds clients send (Scale, Eviction, Binding, DeleteOptions, Status…).
//
// Source: the Go type metadata compiled into the kubectl binary. Kubernetes' generated.proto files
// are themselves generated (go-to-protobuf) from the `protobuf:"…"` struct tags of the Go API types,
// and the Go reflection data a Go binary carries keeps exactly those tags, next to facts the .proto
// text lost and a faithful JSON conversion needs:
//   - the JSON name and `omitempty` of every field (`json:",inline"` fields such as
//     Volume.volumeSource or Probe.handler are merged into their parent in JSON, not nested);
//   - whether a field is a Go pointer (explicit presence: `replicas: 0` is not "unset"), because the
//     Kubernetes marshaller always writes non-pointer fields, zero or not, and pointer fields only
//     when set;
//   - map key/value and slice element types.
// The few types with hand-written protobuf/JSON forms (Time, MicroTime, Duration, Quantity,
// IntOrString, FieldsV1, RawExtension, runtime.Unknown) are declared here from their generated.proto
// definitions (apimachinery pkg/apis/meta/v1, pkg/api/resource, pkg/util/intstr, pkg/runtime).
//
// Optional cross-check: `--proto FILE…` parses generated.proto texts (kept outside the repo) and
// fails if any message in the table disagrees with them on a field number, name, scalar type or
// cardinality. Inline fields are the one expected difference in name (proto name vs JSON merge).
//
// Run: npx tsx scripts/generate-protobuf-tables.ts [--kubectl /usr/bin/kubectl] [--proto a.proto …]
// Output is deterministic (sorted keys, no timestamps).
import { readFileSync, writeFileSync, mkdirSync, existsSync, realpathSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESOURCES } from '../src-main/shared/resources';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const outFile = join(repoRoot, 'src-main/control-plane/apiserver/protobuf/generated/messages.json');

// ---------------------------------------------------------------------------------------------
// Table shape (mirrored by protobuf/table.ts).
type Scalar = 'bool' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'double' | 'string' | 'bytes';
interface FieldDef {
  name: string; // JSON name; for inline fields, the proto name (the JSON object is merged)
  type: string; // a Scalar or a fully qualified message name
  repeated?: true;
  map?: { key: Scalar; value: string };
  /** pointer: written only when set, kept when zero. omitempty: zero is left out of JSON. */
  presence: 'pointer' | 'omitempty' | 'always';
  inline?: true;
}
interface MessageDef {
  /** Set for types whose JSON form is not an object of their fields (see protobuf/convert.ts). */
  special?:
    | 'Time'
    | 'MicroTime'
    | 'Duration'
    | 'Quantity'
    | 'IntOrString'
    | 'FieldsV1'
    | 'RawExtension'
    | 'Unknown'
    | 'StringList';
  fields: Record<string, FieldDef>;
}

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const SPECIAL: Record<string, MessageDef> = {
  // message Time { optional int64 seconds = 1; optional int32 nanos = 2; } (same for MicroTime)
  [`${META}.Time`]: {
    special: 'Time',
    fields: {
      1: { name: 'seconds', type: 'int64', presence: 'always' },
      2: { name: 'nanos', type: 'int32', presence: 'always' },
    },
  },
  [`${META}.MicroTime`]: {
    special: 'MicroTime',
    fields: {
      1: { name: 'seconds', type: 'int64', presence: 'always' },
      2: { name: 'nanos', type: 'int32', presence: 'always' },
    },
  },
  // message Duration { optional int64 duration = 1; } (nanoseconds)
  [`${META}.Duration`]: {
    special: 'Duration',
    fields: { 1: { name: 'duration', type: 'int64', presence: 'always' } },
  },
  // message FieldsV1 { optional bytes Raw = 1; } (a JSON document)
  [`${META}.FieldsV1`]: {
    special: 'FieldsV1',
    fields: { 1: { name: 'Raw', type: 'bytes', presence: 'always' } },
  },
  // message Quantity { optional string string = 1; }
  ['k8s.io.apimachinery.pkg.api.resource.Quantity']: {
    special: 'Quantity',
    fields: { 1: { name: 'string', type: 'string', presence: 'always' } },
  },
  // message ExtraValue { repeated string items = 1; } — Go's `type ExtraValue []string`, a JSON array
  ['k8s.io.api.certificates.v1.ExtraValue']: {
    special: 'StringList',
    fields: { 1: { name: 'items', type: 'string', repeated: true, presence: 'omitempty' } },
  },
  // message IntOrString { optional int64 type = 1; optional int32 intVal = 2; optional string strVal = 3; }
  ['k8s.io.apimachinery.pkg.util.intstr.IntOrString']: {
    special: 'IntOrString',
    fields: {
      1: { name: 'type', type: 'int64', presence: 'always' },
      2: { name: 'intVal', type: 'int32', presence: 'always' },
      3: { name: 'strVal', type: 'string', presence: 'always' },
    },
  },
  // message RawExtension { optional bytes raw = 1; }
  ['k8s.io.apimachinery.pkg.runtime.RawExtension']: {
    special: 'RawExtension',
    fields: { 1: { name: 'raw', type: 'bytes', presence: 'always' } },
  },
  // message TypeMeta { optional string apiVersion = 1; optional string kind = 2; }
  ['k8s.io.apimachinery.pkg.runtime.TypeMeta']: {
    fields: {
      1: { name: 'apiVersion', type: 'string', presence: 'omitempty' },
      2: { name: 'kind', type: 'string', presence: 'omitempty' },
    },
  },
  // message Unknown { optional TypeMeta typeMeta = 1; optional bytes raw = 2;
  //                   optional string contentEncoding = 3; optional string contentType = 4; }
  ['k8s.io.apimachinery.pkg.runtime.Unknown']: {
    special: 'Unknown',
    fields: {
      1: { name: 'typeMeta', type: 'k8s.io.apimachinery.pkg.runtime.TypeMeta', presence: 'always' },
      2: { name: 'raw', type: 'bytes', presence: 'always' },
      3: { name: 'contentEncoding', type: 'string', presence: 'always' },
      4: { name: 'contentType', type: 'string', presence: 'always' },
    },
  },
};

// Go type names (package path + name) of the special types, as they appear in the binary.
const GO_SPECIAL: Record<string, string> = {
  'k8s.io/apimachinery/pkg/apis/meta/v1.Time': `${META}.Time`,
  'k8s.io/apimachinery/pkg/apis/meta/v1.MicroTime': `${META}.MicroTime`,
  'k8s.io/apimachinery/pkg/apis/meta/v1.Duration': `${META}.Duration`,
  'k8s.io/apimachinery/pkg/apis/meta/v1.FieldsV1': `${META}.FieldsV1`,
  'k8s.io/apimachinery/pkg/api/resource.Quantity': 'k8s.io.apimachinery.pkg.api.resource.Quantity',
  'k8s.io/apimachinery/pkg/util/intstr.IntOrString': 'k8s.io.apimachinery.pkg.util.intstr.IntOrString',
  'k8s.io/apimachinery/pkg/runtime.RawExtension': 'k8s.io.apimachinery.pkg.runtime.RawExtension',
  'k8s.io/apimachinery/pkg/runtime.Unknown': 'k8s.io.apimachinery.pkg.runtime.Unknown',
  'k8s.io/api/certificates/v1.ExtraValue': 'k8s.io.api.certificates.v1.ExtraValue',
};

// ---------------------------------------------------------------------------------------------
// Reading Go reflection data (internal/abi layout of Go 1.21–1.24, amd64) out of an ELF binary.
const enum Kind {
  Bool = 1,
  Int = 2,
  Int8 = 3,
  Int16 = 4,
  Int32 = 5,
  Int64 = 6,
  Uint = 7,
  Uint8 = 8,
  Uint16 = 9,
  Uint32 = 10,
  Uint64 = 11,
  Float32 = 13,
  Float64 = 14,
  Map = 21,
  Pointer = 22,
  Slice = 23,
  String = 24,
  Struct = 25,
}

interface Section {
  name: string;
  addr: number;
  off: number;
  size: number;
  type: number;
}

class GoBinary {
  private readonly sections: Section[] = [];
  private readonly typesBase: number;

  constructor(private readonly buf: Buffer) {
    if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2) throw new Error('not a 64-bit ELF binary');
    const shoff = Number(buf.readBigUInt64LE(0x28));
    const shentsize = buf.readUInt16LE(0x3a);
    const shnum = buf.readUInt16LE(0x3c);
    const shstrndx = buf.readUInt16LE(0x3e);
    const raw = [];
    for (let i = 0; i < shnum; i++) {
      const b = shoff + i * shentsize;
      raw.push({
        nameOff: buf.readUInt32LE(b),
        type: buf.readUInt32LE(b + 4),
        addr: Number(buf.readBigUInt64LE(b + 16)),
        off: Number(buf.readBigUInt64LE(b + 24)),
        size: Number(buf.readBigUInt64LE(b + 32)),
      });
    }
    const strtab = raw[shstrndx]!;
    for (const r of raw) {
      let end = strtab.off + r.nameOff;
      while (buf[end] !== 0) end++;
      this.sections.push({ ...r, name: buf.toString('latin1', strtab.off + r.nameOff, end) });
    }
    // A non-PIE Go executable places its type descriptors (runtime.types…etypes) at the start of .rodata.
    this.typesBase = this.section('.rodata').addr;
  }

  section(name: string): Section {
    const s = this.sections.find((x) => x.name === name);
    if (!s) throw new Error(`the binary has no ${name} section`);
    return s;
  }

  fileOffset(va: number): number {
    for (const s of this.sections) {
      if (s.type !== 8 /* NOBITS */ && s.addr !== 0 && va >= s.addr && va < s.addr + s.size)
        return va - s.addr + s.off;
    }
    throw new Error(`address 0x${va.toString(16)} is not in the file`);
  }

  u64(va: number): number {
    return Number(this.buf.readBigUInt64LE(this.fileOffset(va)));
  }

  private varint(o: number): [number, number] {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = this.buf[o++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return [v, o];
      shift += 7;
    }
  }

  /** abi.Name: flags, varint length, bytes, then (flag 1<<1) a varint-length tag. */
  name(va: number): { name: string; tag: string; embedded: boolean } {
    const o = this.fileOffset(va);
    const flags = this.buf[o]!;
    const [n, p] = this.varint(o + 1);
    const name = this.buf.toString('latin1', p, p + n);
    let tag = '';
    if (flags & 2) {
      const [tn, q] = this.varint(p + n);
      tag = this.buf.toString('latin1', q, q + tn);
    }
    return { name, tag, embedded: (flags & 8) !== 0 };
  }

  kind(t: number): number {
    return this.buf[this.fileOffset(t) + 23]! & 0x1f;
  }

  /** Package path + name of a named type ("k8s.io/api/apps/v1.Deployment"), or its literal name. */
  typeName(t: number): string {
    const o = this.fileOffset(t);
    const tflag = this.buf[o + 20]!;
    let name = this.name(this.typesBase + this.buf.readInt32LE(o + 40)).name;
    if (tflag & 2) name = name.slice(1); // TFlagExtraStar
    if (!(tflag & 4) || !(tflag & 1)) return name; // not named, or no uncommon type
    const uncommon = o + this.uncommonOffset(this.kind(t));
    const pkg = this.name(this.typesBase + this.buf.readInt32LE(uncommon)).name;
    return `${pkg}.${name.slice(name.lastIndexOf('.') + 1)}`;
  }

  private uncommonOffset(kind: number): number {
    if (kind === Kind.Struct) return 80; // Type(48) + PkgPath(8) + Fields(24)
    if (kind === Kind.Pointer || kind === Kind.Slice) return 56; // Type + Elem
    if (kind === Kind.Map) return 88; // Type + Key, Elem, Group/Bucket, Hasher, sizes and flags
    return 48;
  }

  elem(t: number): number {
    return this.u64(t + 48);
  }

  mapKeyElem(t: number): [number, number] {
    return [this.u64(t + 48), this.u64(t + 56)];
  }

  structFields(t: number): { name: string; tag: string; embedded: boolean; type: number }[] {
    const ptr = this.u64(t + 56);
    const len = this.u64(t + 64);
    const out = [];
    for (let i = 0; i < len; i++)
      out.push({ ...this.name(this.u64(ptr + i * 24)), type: this.u64(ptr + i * 24 + 8) });
    return out;
  }

  /** Every struct type descriptor in .rodata with at least one `protobuf:"…"` field tag. */
  protobufStructs(): Map<string, number> {
    const rodata = this.section('.rodata');
    const found = new Map<string, number>();
    for (let o = rodata.off; o + 80 <= rodata.off + rodata.size; o += 8) {
      if ((this.buf[o + 23]! & 0x1f) !== Kind.Struct) continue;
      const ptr = Number(this.buf.readBigUInt64LE(o + 56));
      const len = Number(this.buf.readBigUInt64LE(o + 64));
      if (len === 0 || len > 300 || len !== Number(this.buf.readBigUInt64LE(o + 72))) continue;
      if (ptr < rodata.addr || ptr + len * 24 > rodata.addr + rodata.size) continue;
      const va = o - rodata.off + rodata.addr;
      let fields;
      try {
        fields = this.structFields(va);
      } catch {
        continue;
      }
      if (!fields.some((f) => f.tag.includes('protobuf:"'))) continue;
      found.set(this.typeName(va), va);
    }
    return found;
  }
}

// ---------------------------------------------------------------------------------------------
// Go types → table entries.
function protoName(goName: string): string {
  const dot = goName.lastIndexOf('.');
  return `${goName.slice(0, dot).replace(/\//g, '.')}.${goName.slice(dot + 1)}`;
}

function tagValue(tag: string, key: string): string | undefined {
  return new RegExp(`(?:^|\\s)${key}:"([^"]*)"`).exec(tag)?.[1];
}

class TableBuilder {
  readonly messages: Record<string, MessageDef> = {};
  private readonly pending: string[] = [];

  constructor(
    private readonly bin: GoBinary,
    private readonly structs: Map<string, number>,
  ) {}

  add(goName: string): void {
    const name = GO_SPECIAL[goName] ?? protoName(goName);
    if (this.messages[name] || this.pending.includes(name)) return;
    if (SPECIAL[name]) {
      this.messages[name] = SPECIAL[name];
      for (const f of Object.values(SPECIAL[name].fields))
        if (SPECIAL[f.type]) this.messages[f.type] = SPECIAL[f.type]!;
      return;
    }
    const t = this.structs.get(goName);
    if (t === undefined) throw new Error(`no protobuf-tagged Go struct ${goName} in the binary`);
    this.pending.push(name);
    const fields: Record<string, FieldDef> = {};
    for (const f of this.bin.structFields(t)) {
      const pb = tagValue(f.tag, 'protobuf');
      if (!pb || pb === '-') continue; // TypeMeta and other fields without a protobuf number are not on the wire
      const parts = pb.split(',');
      const number = Number(parts[1]);
      // go-to-protobuf names an unnamed (embedded) field after its Go name: EphemeralContainerCommon → ephemeralContainerCommon
      const protoFieldName =
        parts.find((p) => p.startsWith('name='))?.slice(5) ?? f.name[0]!.toLowerCase() + f.name.slice(1);
      const json = tagValue(f.tag, 'json') ?? '';
      const [jsonName, ...opts] = json.split(',');
      const inline = opts.includes('inline');
      let type = f.type;
      let presence: FieldDef['presence'] = opts.includes('omitempty') ? 'omitempty' : 'always';
      if (this.bin.kind(type) === Kind.Pointer) {
        presence = 'pointer';
        type = this.bin.elem(type);
      }
      const def: FieldDef = {
        name: inline ? protoFieldName : jsonName || protoFieldName,
        type: '',
        presence,
      };
      if (inline) def.inline = true;
      const kind = this.bin.kind(type);
      if (kind === Kind.Slice && this.bin.kind(this.bin.elem(type)) !== Kind.Uint8) {
        def.repeated = true;
        def.type = this.valueType(this.bin.elem(type), `${goName}.${f.name}`);
      } else if (kind === Kind.Map) {
        const [k, v] = this.bin.mapKeyElem(type);
        def.type = 'map';
        def.map = {
          key: this.scalar(k, `${goName}.${f.name} key`),
          value: this.valueType(v, `${goName}.${f.name}`),
        };
      } else {
        def.type = this.valueType(type, `${goName}.${f.name}`);
      }
      if (fields[number]) throw new Error(`${goName}: field number ${number} used twice`);
      fields[number] = def;
    }
    this.messages[name] = { fields };
    this.pending.splice(this.pending.indexOf(name), 1);
  }

  private valueType(t: number, where: string): string {
    const kind = this.bin.kind(t);
    if (kind === Kind.Struct) {
      const goName = this.bin.typeName(t);
      this.add(goName);
      return GO_SPECIAL[goName] ?? protoName(goName);
    }
    if (kind === Kind.Slice && this.bin.kind(this.bin.elem(t)) === Kind.Uint8) return 'bytes';
    // Named slices with a wrapper message (ExtraValue) are declared by hand in SPECIAL.
    if (kind === Kind.Slice && GO_SPECIAL[this.bin.typeName(t)]) {
      this.add(this.bin.typeName(t));
      return GO_SPECIAL[this.bin.typeName(t)]!;
    }
    if (kind === Kind.Slice) {
      // [][]string and the like travel as a wrapper message in proto; none is reachable today.
      throw new Error(`${where}: nested slices are not supported`);
    }
    return this.scalar(t, where);
  }

  private scalar(t: number, where: string): Scalar {
    switch (this.bin.kind(t)) {
      case Kind.Bool:
        return 'bool';
      case Kind.Int32:
      case Kind.Int16:
      case Kind.Int8:
        return 'int32';
      case Kind.Int:
      case Kind.Int64:
        return 'int64';
      case Kind.Uint32:
      case Kind.Uint16:
      case Kind.Uint8:
        return 'uint32';
      case Kind.Uint:
      case Kind.Uint64:
        return 'uint64';
      case Kind.Float32:
      case Kind.Float64:
        return 'double';
      case Kind.String:
        return 'string';
      case Kind.Slice:
        return 'bytes';
      default:
        throw new Error(`${where}: unsupported Go kind ${this.bin.kind(t)} (${this.bin.typeName(t)})`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Roots: what a client may send as a request body.
function goPackage(group: string, version: string): string {
  return `k8s.io/api/${group === '' ? 'core' : group.split('.')[0]}/${version}`;
}

function roots(): { kinds: Record<string, Record<string, string>>; goNames: string[] } {
  const kinds: Record<string, Record<string, string>> = {};
  const goNames: string[] = [];
  const add = (apiVersion: string, kind: string, goName: string) => {
    (kinds[apiVersion] ??= {})[kind] = GO_SPECIAL[goName] ?? protoName(goName);
    goNames.push(goName);
  };
  for (const r of RESOURCES) {
    if (r.group.endsWith('flotilla.dev')) continue; // Flotilla's own kinds have no protobuf form
    const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
    add(apiVersion, r.kind, `${goPackage(r.group, r.version)}.${r.kind}`);
    add(apiVersion, r.listKind, `${goPackage(r.group, r.version)}.${r.listKind}`);
  }
  add('v1', 'Binding', 'k8s.io/api/core/v1.Binding');
  add('autoscaling/v1', 'Scale', 'k8s.io/api/autoscaling/v1.Scale');
  add('policy/v1', 'Eviction', 'k8s.io/api/policy/v1.Eviction');
  // Options and Status are registered in every group version (metav1.AddToGroupVersion), so a client
  // may label them with any apiVersion; decode.ts looks them up under '*'.
  for (const kind of ['DeleteOptions', 'Status', 'CreateOptions', 'UpdateOptions', 'PatchOptions', 'List']) {
    add('*', kind, `k8s.io/apimachinery/pkg/apis/meta/v1.${kind}`);
  }
  return { kinds, goNames };
}

// ---------------------------------------------------------------------------------------------
// Cross-check against generated.proto texts.
interface ProtoField {
  number: number;
  name: string;
  type: string;
  repeated: boolean;
}

export function parseProto(text: string): Map<string, Map<number, ProtoField>> {
  const clean = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const pkg = /\bpackage\s+([\w.]+)\s*;/.exec(clean)?.[1] ?? '';
  const out = new Map<string, Map<number, ProtoField>>();
  const stack: string[] = [];
  for (const token of clean.match(/message\s+\w+\s*\{|\}|[^;{}]+;/g) ?? []) {
    const msg = /^message\s+(\w+)/.exec(token);
    if (msg) {
      stack.push(msg[1]!);
      out.set(`${pkg}.${stack.join('.')}`, new Map());
      continue;
    }
    if (token === '}') {
      stack.pop();
      continue;
    }
    const field = /^\s*(optional|repeated|required)?\s*(map\s*<[^>]+>|[\w.]+)\s+(\w+)\s*=\s*(\d+)/.exec(
      token,
    );
    if (!field || stack.length === 0) continue;
    out.get(`${pkg}.${stack.join('.')}`)!.set(Number(field[4]), {
      number: Number(field[4]),
      name: field[3]!,
      type: field[2]!.replace(/\s+/g, ''),
      repeated: field[1] === 'repeated',
    });
  }
  return out;
}

function crossCheck(
  messages: Record<string, MessageDef>,
  protoFiles: string[],
): { checked: number; problems: string[] } {
  const proto = new Map<string, Map<number, ProtoField>>();
  for (const file of protoFiles) for (const [k, v] of parseProto(readFileSync(file, 'utf8'))) proto.set(k, v);
  const problems: string[] = [];
  let checked = 0;
  for (const [name, def] of Object.entries(messages)) {
    const p = proto.get(name);
    if (!p) continue;
    checked++;
    for (const [num, pf] of p) {
      const f = def.fields[num];
      if (!f) {
        problems.push(`${name}: proto field ${pf.name} = ${num} is not in the table (newer than kubectl?)`);
        continue;
      }
      if (f.name !== pf.name) problems.push(`${name}.${num}: table name ${f.name}, proto name ${pf.name}`);
      if (Boolean(f.repeated) !== pf.repeated) problems.push(`${name}.${pf.name}: repeated differs`);
      const scalarOk = (t: string, pt: string) =>
        t === pt ||
        (!/^(bool|int32|int64|uint32|uint64|double|string|bytes)$/.test(pt) &&
          pt.endsWith(t.slice(t.lastIndexOf('.') + 1)));
      if (f.map) {
        if (!pf.type.startsWith('map<')) problems.push(`${name}.${pf.name}: table map, proto ${pf.type}`);
      } else if (!scalarOk(f.type, pf.type)) {
        problems.push(`${name}.${pf.name}: table type ${f.type}, proto type ${pf.type}`);
      }
    }
    for (const num of Object.keys(def.fields)) {
      if (!p.has(Number(num)))
        problems.push(`${name}: table field ${num} (${def.fields[num]!.name}) is not in the proto`);
    }
  }
  return { checked, problems };
}

// ---------------------------------------------------------------------------------------------
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Builds the table from a kubectl binary, optionally cross-checked against generated.proto texts. */
export function buildTable(
  kubectl: string,
  protoFiles: string[] = [],
): { table: unknown; crossChecked: number } {
  if (!existsSync(kubectl)) throw new Error(`${kubectl} does not exist; pass --kubectl PATH`);
  const version = execFileSync(kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  const gitVersion = (JSON.parse(version) as { clientVersion: { gitVersion: string } }).clientVersion
    .gitVersion;
  const bin = new GoBinary(readFileSync(realpathSync(kubectl)));
  const builder = new TableBuilder(bin, bin.protobufStructs());
  const { kinds, goNames } = roots();
  for (const goName of goNames) builder.add(goName);
  let crossChecked = 0;
  if (protoFiles.length > 0) {
    const { checked, problems } = crossCheck(builder.messages, protoFiles);
    crossChecked = checked;
    if (problems.length > 0) {
      throw new Error(
        `${problems.length} differences between kubectl's types and the .proto files:\n  ${problems.join('\n  ')}`,
      );
    }
  }
  const source = `kubectl ${gitVersion.replace(/-.*$/, '')} Go type metadata`;
  return { table: sortKeys({ source, kinds, messages: builder.messages }), crossChecked };
}

function main(argv: string[]): void {
  let kubectl = '/usr/bin/kubectl';
  const protoFiles: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--kubectl') kubectl = argv[++i]!;
    else if (argv[i] === '--proto')
      while (argv[i + 1] && !argv[i + 1]!.startsWith('--')) protoFiles.push(argv[++i]!);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  const { table, crossChecked } = buildTable(kubectl, protoFiles);
  if (protoFiles.length > 0)
    console.log(`cross-checked ${crossChecked} messages against ${protoFiles.length} .proto files`);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(table, null, 2)}\n`);
  const messages = Object.values((table as { messages: Record<string, MessageDef> }).messages);
  const fieldCount = messages.reduce((n, m) => n + Object.keys(m.fields).length, 0);
  console.log(`wrote ${outFile}: ${messages.length} messages, ${fieldCount} fields`);
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url))
  main(process.argv.slice(2));
