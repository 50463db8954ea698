// The Swagger 2.0 document in the binary form kubectl asks for: gnostic's `openapi_v2.Document`
// protobuf (google/gnostic `openapiv2/OpenAPIv2.proto`).
//
// kubectl (1.32) validates client-side whenever it cannot leave validation to the server — always
// for a `kind: List` manifest, which no endpoint serves — and for that it fetches `GET /openapi/v2`
// with `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf` and unmarshals the body
// as that message, whatever the Content-Type says (a JSON body fails with "proto: cannot parse
// invalid wire-format data"). Kubernetes builds the message by parsing its JSON
// document with gnostic; this module does the same translation from our JSON, so the two
// representations can never disagree.
//
// Only the parts of Swagger 2.0 our document uses are translated; an unsupported construct (a
// response header, a formData file schema) is dropped rather than guessed at. Vendor extensions
// travel as `NamedAny { name, Any { yaml } }`: kubectl reads them with a YAML parser, and JSON text is
// YAML, so each value is written as its JSON.
import { createHash } from 'node:crypto';

/** The media type Kubernetes answers with (kube-openapi's current name). */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
/** The older name, which client-go's discovery client still sends in Accept. */
export const OPENAPI_V2_PROTOBUF_DEPRECATED = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Wire format. Proto3: scalar fields at their default value (empty, 0, false) are not written;
// message fields are written whenever present, even when empty.

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;

/** Builds one message. Nested messages are encoded first and embedded as length-delimited bytes. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private scratch: number[] = [];

  private flushScratch() {
    if (this.scratch.length) {
      this.parts.push(Uint8Array.from(this.scratch));
      this.scratch = [];
    }
  }

  private varint(value: number | bigint) {
    // int64 fields carry negative numbers as their 64-bit two's complement (10 bytes).
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.scratch.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.scratch.push(Number(v));
  }

  private tag(field: number, wireType: number) {
    this.varint((field << 3) | wireType);
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, LENGTH_DELIMITED);
    this.varint(value.length);
    this.flushScratch();
    this.parts.push(value);
    return this;
  }

  string(field: number, value: unknown): this {
    if (typeof value === 'string' && value !== '') this.bytes(field, Buffer.from(value, 'utf8'));
    return this;
  }

  strings(field: number, values: unknown): this {
    // Repeated strings are never packed; an empty string is still an element.
    if (Array.isArray(values)) {
      for (const v of values) if (typeof v === 'string') this.bytes(field, Buffer.from(v, 'utf8'));
    }
    return this;
  }

  bool(field: number, value: unknown): this {
    if (value === true) {
      this.tag(field, VARINT);
      this.varint(1);
    }
    return this;
  }

  /** A bool inside a oneof: present whenever set, false included. */
  oneofBool(field: number, value: boolean): this {
    this.tag(field, VARINT);
    this.varint(value ? 1 : 0);
    return this;
  }

  int64(field: number, value: unknown): this {
    if (typeof value === 'number' && Number.isInteger(value) && value !== 0) {
      this.tag(field, VARINT);
      this.varint(value);
    }
    return this;
  }

  double(field: number, value: unknown): this {
    if (typeof value === 'number' && value !== 0) {
      this.tag(field, FIXED64);
      const b = Buffer.alloc(8);
      b.writeDoubleLE(value);
      this.scratch.push(...b);
    }
    return this;
  }

  message(field: number, value: ProtoWriter | undefined): this {
    if (value) this.bytes(field, value.finish());
    return this;
  }

  messages(field: number, values: Iterable<ProtoWriter>): this {
    for (const v of values) this.message(field, v);
    return this;
  }

  finish(): Uint8Array {
    this.flushScratch();
    if (this.parts.length === 1) return this.parts[0]!;
    const out = Buffer.concat(this.parts);
    this.parts.length = 0;
    this.parts.push(out);
    return out;
  }
}

const msg = () => new ProtoWriter();
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const entries = (v: unknown): [string, unknown][] => (isObject(v) ? Object.entries(v) : []);

// ---------------------------------------------------------------------------------------------
// Messages (field numbers from OpenAPIv2.proto).

/** `Any { yaml = 2 }`: the value as YAML text (its JSON, which YAML parsers read). */
function any(value: unknown): ProtoWriter {
  return msg().string(2, `${JSON.stringify(value)}\n`);
}

/** `repeated NamedAny vendor_extension`: every `x-` key of an object, in document order. */
function vendorExtensions(obj: Json): ProtoWriter[] {
  return Object.entries(obj)
    .filter(([k]) => k.startsWith('x-'))
    .map(([name, value]) => msg().string(1, name).message(2, any(value)));
}

function externalDocs(v: unknown): ProtoWriter | undefined {
  if (!isObject(v)) return undefined;
  return msg().string(1, v.description).string(2, v.url).messages(3, vendorExtensions(v));
}

function schema(s: Json): ProtoWriter {
  const w = msg().string(1, s.$ref).string(2, s.format).string(3, s.title).string(4, s.description);
  if ('default' in s) w.message(5, any(s.default));
  w.double(6, s.multipleOf)
    .double(7, s.maximum)
    .bool(8, s.exclusiveMaximum)
    .double(9, s.minimum)
    .bool(10, s.exclusiveMinimum)
    .int64(11, s.maxLength)
    .int64(12, s.minLength)
    .string(13, s.pattern)
    .int64(14, s.maxItems)
    .int64(15, s.minItems)
    .bool(16, s.uniqueItems)
    .int64(17, s.maxProperties)
    .int64(18, s.minProperties)
    .strings(19, s.required);
  if (Array.isArray(s.enum)) w.messages(20, s.enum.map(any));
  if (isObject(s.additionalProperties)) {
    w.message(21, msg().message(1, schema(s.additionalProperties)));
  } else if (typeof s.additionalProperties === 'boolean') {
    // `AdditionalPropertiesItem { oneof { bool boolean = 2 } }`: a set oneof member is written even
    // at its zero value, so `false` stays distinguishable from "not given".
    w.message(21, msg().oneofBool(2, s.additionalProperties));
  }
  if (s.type !== undefined) w.message(22, msg().strings(1, Array.isArray(s.type) ? s.type : [s.type]));
  if (s.items !== undefined) {
    const items = (Array.isArray(s.items) ? s.items : [s.items]).filter(isObject);
    w.message(23, msg().messages(1, items.map(schema)));
  }
  if (Array.isArray(s.allOf)) w.messages(24, s.allOf.filter(isObject).map(schema));
  if (isObject(s.properties)) w.message(25, msg().messages(1, namedSchemas(s.properties)));
  w.string(26, s.discriminator).bool(27, s.readOnly);
  w.message(29, externalDocs(s.externalDocs));
  if ('example' in s) w.message(30, any(s.example));
  return w.messages(31, vendorExtensions(s));
}

function namedSchemas(obj: Json): ProtoWriter[] {
  return entries(obj)
    .filter((e): e is [string, Json] => isObject(e[1]))
    .map(([name, s]) => msg().string(1, name).message(2, schema(s)));
}

/** The fields Swagger's primitive parameter/items objects share, in the order every message lists them. */
function primitiveFields(w: ProtoWriter, first: number, p: Json): ProtoWriter {
  let n = first;
  w.string(n++, p.type).string(n++, p.format);
  w.message(n++, isObject(p.items) ? primitivesItems(p.items) : undefined);
  w.string(n++, p.collectionFormat);
  w.message(n++, 'default' in p ? any(p.default) : undefined);
  w.double(n++, p.maximum).bool(n++, p.exclusiveMaximum);
  w.double(n++, p.minimum).bool(n++, p.exclusiveMinimum);
  w.int64(n++, p.maxLength).int64(n++, p.minLength).string(n++, p.pattern);
  w.int64(n++, p.maxItems).int64(n++, p.minItems).bool(n++, p.uniqueItems);
  if (Array.isArray(p.enum)) w.messages(n, p.enum.map(any));
  n++;
  w.double(n++, p.multipleOf);
  return w.messages(n, vendorExtensions(p));
}

function primitivesItems(p: Json): ProtoWriter {
  return primitiveFields(msg(), 1, p);
}

/** `ParametersItem`: a `$ref`, a body parameter, or one of the four non-body kinds. */
function parametersItem(p: Json): ProtoWriter | undefined {
  if (typeof p.$ref === 'string') return msg().message(2, msg().string(1, p.$ref).string(2, p.description));
  const common = (w: ProtoWriter) =>
    w.bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name);
  let parameter: ProtoWriter;
  if (p.in === 'body') {
    parameter = msg().message(
      1,
      msg()
        .string(1, p.description)
        .string(2, p.name)
        .string(3, p.in)
        .bool(4, p.required)
        .message(5, isObject(p.schema) ? schema(p.schema) : undefined)
        .messages(6, vendorExtensions(p)),
    );
  } else {
    // NonBodyParameter oneof: header = 1, formData = 2, query = 3, path = 4. Query and formData
    // carry allowEmptyValue as field 5, shifting the shared fields by one.
    const which = { header: 1, formData: 2, query: 3, path: 4 }[p.in as string];
    if (!which) return undefined;
    const sub = common(msg());
    if (which === 2 || which === 3) primitiveFields(sub.bool(5, p.allowEmptyValue), 6, p);
    else primitiveFields(sub, 5, p);
    parameter = msg().message(2, msg().message(which, sub));
  }
  return msg().message(1, parameter);
}

function parametersItems(list: unknown): ProtoWriter[] {
  if (!Array.isArray(list)) return [];
  return list.filter(isObject).flatMap((p) => parametersItem(p) ?? []);
}

function response(r: Json): ProtoWriter {
  if (typeof r.$ref === 'string') return msg().message(2, msg().string(1, r.$ref));
  const body = msg()
    .string(1, r.description)
    .message(2, isObject(r.schema) ? msg().message(1, schema(r.schema)) : undefined)
    .messages(5, vendorExtensions(r));
  return msg().message(1, body);
}

function responses(rs: Json): ProtoWriter {
  const codes = entries(rs).filter((e): e is [string, Json] => !e[0].startsWith('x-') && isObject(e[1]));
  return msg()
    .messages(
      1,
      codes.map(([code, r]) => msg().string(1, code).message(2, response(r))),
    )
    .messages(2, vendorExtensions(rs));
}

function securityRequirements(list: unknown): ProtoWriter[] {
  if (!Array.isArray(list)) return [];
  return list.filter(isObject).map((req) =>
    msg().messages(
      1,
      Object.entries(req).map(([name, scopes]) => msg().string(1, name).message(2, msg().strings(1, scopes))),
    ),
  );
}

function operation(op: Json): ProtoWriter {
  return msg()
    .strings(1, op.tags)
    .string(2, op.summary)
    .string(3, op.description)
    .message(4, externalDocs(op.externalDocs))
    .string(5, op.operationId)
    .strings(6, op.produces)
    .strings(7, op.consumes)
    .messages(8, parametersItems(op.parameters))
    .message(9, isObject(op.responses) ? responses(op.responses) : undefined)
    .strings(10, op.schemes)
    .bool(11, op.deprecated)
    .messages(12, securityRequirements(op.security))
    .messages(13, vendorExtensions(op));
}

const METHOD_FIELDS = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 } as const;

function pathItem(item: Json): ProtoWriter {
  const w = msg().string(1, item.$ref);
  for (const [method, field] of Object.entries(METHOD_FIELDS)) {
    const op = item[method];
    if (isObject(op)) w.message(field, operation(op));
  }
  return w.messages(9, parametersItems(item.parameters)).messages(10, vendorExtensions(item));
}

function paths(ps: Json): ProtoWriter {
  const named = entries(ps)
    .filter((e): e is [string, Json] => e[0].startsWith('/') && isObject(e[1]))
    .map(([path, item]) => msg().string(1, path).message(2, pathItem(item)));
  return msg().messages(1, vendorExtensions(ps)).messages(2, named);
}

function securityDefinitions(defs: Json): ProtoWriter {
  const items = entries(defs).flatMap(([name, d]) => {
    if (!isObject(d)) return [];
    let item: ProtoWriter;
    if (d.type === 'apiKey') {
      item = msg().message(
        2,
        msg()
          .string(1, d.type)
          .string(2, d.name)
          .string(3, d.in)
          .string(4, d.description)
          .messages(5, vendorExtensions(d)),
      );
    } else if (d.type === 'basic') {
      item = msg().message(
        1,
        msg().string(1, d.type).string(2, d.description).messages(3, vendorExtensions(d)),
      );
    } else {
      return []; // OAuth2 flows: not used by the API server.
    }
    return [msg().string(1, name).message(2, item)];
  });
  return msg().messages(1, items);
}

function info(i: Json): ProtoWriter {
  return msg()
    .string(1, i.title)
    .string(2, i.version)
    .string(3, i.description)
    .string(4, i.termsOfService)
    .message(
      5,
      isObject(i.contact)
        ? msg()
            .string(1, i.contact.name)
            .string(2, i.contact.url)
            .string(3, i.contact.email)
            .messages(4, vendorExtensions(i.contact))
        : undefined,
    )
    .message(
      6,
      isObject(i.license)
        ? msg().string(1, i.license.name).string(2, i.license.url).messages(3, vendorExtensions(i.license))
        : undefined,
    )
    .messages(7, vendorExtensions(i));
}

/** Encodes a Swagger 2.0 document (as parsed JSON) as an `openapi_v2.Document`. */
export function encodeOpenApiV2Document(doc: Json): Uint8Array {
  const tags = Array.isArray(doc.tags)
    ? doc.tags
        .filter(isObject)
        .map((t) =>
          msg()
            .string(1, t.name)
            .string(2, t.description)
            .message(3, externalDocs(t.externalDocs))
            .messages(4, vendorExtensions(t)),
        )
    : [];
  return msg()
    .string(1, doc.swagger)
    .message(2, isObject(doc.info) ? info(doc.info) : undefined)
    .string(3, doc.host)
    .string(4, doc.basePath)
    .strings(5, doc.schemes)
    .strings(6, doc.consumes)
    .strings(7, doc.produces)
    .message(8, isObject(doc.paths) ? paths(doc.paths) : undefined)
    .message(9, isObject(doc.definitions) ? msg().messages(1, namedSchemas(doc.definitions)) : undefined)
    .messages(12, securityRequirements(doc.security))
    .message(13, isObject(doc.securityDefinitions) ? securityDefinitions(doc.securityDefinitions) : undefined)
    .messages(14, tags)
    .message(15, externalDocs(doc.externalDocs))
    .messages(16, vendorExtensions(doc))
    .finish();
}

// ---------------------------------------------------------------------------------------------
// Serving.

export interface SerializedProtobuf {
  bytes: Uint8Array;
  /** Uppercase hex SHA-512 of `bytes`: the ETag of this representation. */
  hash: string;
}

let cached: { sourceHash: string; value: SerializedProtobuf } | undefined;

/**
 * The protobuf form of the served JSON document. The JSON never changes while the process runs, so
 * the encoding is done once and reused for as long as the JSON's hash stays the same.
 */
export function openApiV2Protobuf(v2: { json: string; hash: string }): SerializedProtobuf {
  if (cached?.sourceHash !== v2.hash) {
    const bytes = encodeOpenApiV2Document(JSON.parse(v2.json) as Json);
    const hash = createHash('sha512').update(bytes).digest('hex').toUpperCase();
    cached = { sourceHash: v2.hash, value: { bytes, hash } };
  }
  return cached.value;
}

/**
 * Content negotiation for `GET /openapi/v2`, as kube-openapi does it: the Accept clauses in order of
 * preference (q, then specificity), and for each the first of JSON, protobuf that it matches. So
 * a wildcard gets JSON, and protobuf only when asked for by name. Undefined: nothing acceptable (406).
 */
export function negotiateOpenApiV2(accept: string | undefined): 'json' | 'protobuf' | undefined {
  const clauses = (accept?.trim() ? accept : '*/*')
    .split(',')
    .map((raw, index) => {
      const [range = '', ...params] = raw.split(';').map((s) => s.trim());
      const [type = '', subtype = ''] = range.toLowerCase().split('/');
      const q = params.find((p) => /^q=/i.test(p));
      const quality = q ? Number(q.slice(2)) : 1;
      return { type, subtype, quality: Number.isNaN(quality) ? 0 : quality, index };
    })
    .filter((c) => c.quality > 0 && c.type !== '')
    .sort((a, b) => b.quality - a.quality || specificity(b) - specificity(a) || a.index - b.index);
  const offers: [string, string, 'json' | 'protobuf'][] = [
    ['application', 'json', 'json'],
    ['application', OPENAPI_V2_PROTOBUF_DEPRECATED.split('/')[1]!, 'protobuf'],
    ['application', OPENAPI_V2_PROTOBUF.split('/')[1]!, 'protobuf'],
  ];
  for (const c of clauses) {
    for (const [type, subtype, format] of offers) {
      if ((c.type === type || c.type === '*') && (c.subtype === subtype || c.subtype === '*')) return format;
    }
  }
  return undefined;
}

function specificity(c: { type: string; subtype: string }): number {
  return (c.type === '*' ? 0 : 1) + (c.subtype === '*' ? 0 : 1);
}
