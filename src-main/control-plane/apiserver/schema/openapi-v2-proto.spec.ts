import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { allDefinitions } from './definitions';
import { openApiV2, openApiV2Serialized } from './openapi';
import {
  encodeOpenApiV2Document,
  negotiateOpenApiV2,
  openApiV2Protobuf,
  ProtoWriter,
} from './openapi-v2-proto';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// ---------------------------------------------------------------------------------------------
// A wire-format reader written from the protobuf encoding spec, independent of the writer.

interface Field {
  field: number;
  wireType: number;
  /** Varints as bigint, fixed64 as the 8 raw bytes, length-delimited as their bytes. */
  value: bigint | Uint8Array;
}

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
    if (shift > 63n) throw new Error('varint too long');
  }
}

function decode(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, p1] = readVarint(buf, pos);
    const field = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (field === 0) throw new Error('field number 0');
    pos = p1;
    if (wireType === 0) {
      const [v, p2] = readVarint(buf, pos);
      out.push({ field, wireType, value: v });
      pos = p2;
    } else if (wireType === 1) {
      if (pos + 8 > buf.length) throw new Error('truncated fixed64');
      out.push({ field, wireType, value: buf.subarray(pos, pos + 8) });
      pos += 8;
    } else if (wireType === 2) {
      const [len, p2] = readVarint(buf, pos);
      const end = p2 + Number(len);
      if (end > buf.length) throw new Error('truncated bytes');
      out.push({ field, wireType, value: buf.subarray(p2, end) });
      pos = end;
    } else {
      throw new Error(`unexpected wire type ${wireType}`);
    }
  }
  return out;
}

const all = (fs: Field[], n: number) => fs.filter((f) => f.field === n);
const one = (fs: Field[], n: number): Field | undefined => {
  const found = all(fs, n);
  return found[found.length - 1];
};
const bytesOf = (f: Field | undefined) => {
  if (!f) return undefined;
  if (f.wireType !== 2) throw new Error(`field ${f.field} is not length-delimited`);
  return f.value as Uint8Array;
};
const str = (fs: Field[], n: number) => {
  const b = bytesOf(one(fs, n));
  return b === undefined ? undefined : Buffer.from(b).toString('utf8');
};
const strs = (fs: Field[], n: number) => all(fs, n).map((f) => Buffer.from(bytesOf(f)!).toString('utf8'));
const sub = (fs: Field[], n: number) => {
  const b = bytesOf(one(fs, n));
  return b === undefined ? undefined : decode(b);
};
const subs = (fs: Field[], n: number) => all(fs, n).map((f) => decode(bytesOf(f)!));
const varint = (fs: Field[], n: number) => one(fs, n)?.value as bigint | undefined;
const double = (fs: Field[], n: number) => {
  const f = one(fs, n);
  return f ? Buffer.from(f.value as Uint8Array).readDoubleLE(0) : undefined;
};

/** `repeated NamedAny` → { name: value parsed from its YAML }. */
function extensions(fs: Field[], n: number): Json {
  const out: Json = {};
  for (const named of subs(fs, n)) out[str(named, 1)!] = YAML.parse(str(sub(named, 2)!, 2)!);
  return out;
}

/**
 * Turns an encoded `Schema` back into Swagger JSON. Covers the keywords the API server's definitions
 * use; one it does not know shows up as a round-trip failure below.
 */
function schemaToJson(fs: Field[]): Json {
  const s: Json = {};
  const put = (key: string, value: unknown) => {
    if (value !== undefined) s[key] = value;
  };
  put('$ref', str(fs, 1));
  put('format', str(fs, 2));
  put('description', str(fs, 4));
  const defaultValue = sub(fs, 5);
  if (defaultValue) s.default = YAML.parse(str(defaultValue, 2)!);
  const enumValues = subs(fs, 20).map((a) => YAML.parse(str(a, 2)!) as unknown);
  if (enumValues.length) s.enum = enumValues;
  const required = strs(fs, 19);
  if (required.length) s.required = required;
  const ap = sub(fs, 21);
  if (ap) {
    const schema = sub(ap, 1);
    s.additionalProperties = schema ? schemaToJson(schema) : varint(ap, 2) === 1n;
  }
  const type = sub(fs, 22);
  if (type) s.type = strs(type, 1).length === 1 ? strs(type, 1)[0] : strs(type, 1);
  const items = sub(fs, 23);
  if (items) {
    const list = subs(items, 1).map(schemaToJson);
    s.items = list.length === 1 ? list[0] : list;
  }
  const props = sub(fs, 25);
  if (props) {
    s.properties = {};
    for (const named of subs(props, 1)) s.properties[str(named, 1)!] = schemaToJson(sub(named, 2)!);
  }
  Object.assign(s, extensions(fs, 31));
  return s;
}

/** Key order does not matter to protobuf consumers; compare as sorted JSON. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Json)[k])]),
    );
  }
  return v;
}

// ---------------------------------------------------------------------------------------------

describe('ProtoWriter', () => {
  it('writes varints, strings, doubles and negative int64 per the wire format', () => {
    const bytes = new ProtoWriter()
      .int64(1, 300)
      .string(2, 'hi')
      .double(3, 1.5)
      .int64(4, -1)
      .bool(5, true)
      .finish();
    expect(Buffer.from(bytes.subarray(0, 3)).toString('hex')).toBe('08ac02'); // field 1, varint 300
    const fs = decode(bytes);
    expect(varint(fs, 1)).toBe(300n);
    expect(str(fs, 2)).toBe('hi');
    expect(double(fs, 3)).toBe(1.5);
    expect(varint(fs, 4)).toBe(0xffffffffffffffffn); // two's complement, 10 bytes
    expect(varint(fs, 5)).toBe(1n);
  });

  it('skips proto3 defaults but keeps empty strings inside repeated fields and explicit oneof bools', () => {
    const bytes = new ProtoWriter()
      .string(1, '')
      .int64(2, 0)
      .bool(3, false)
      .double(4, 0)
      .strings(5, ['', 'a'])
      .oneofBool(6, false)
      .message(7, new ProtoWriter())
      .finish();
    const fs = decode(bytes);
    expect(fs.map((f) => f.field)).toEqual([5, 5, 6, 7]);
    expect(strs(fs, 5)).toEqual(['', 'a']);
    expect(varint(fs, 6)).toBe(0n);
    expect(bytesOf(one(fs, 7))).toHaveLength(0);
  });

  it('encodes lengths above 127 as multi-byte varints', () => {
    const long = 'x'.repeat(20_000);
    const fs = decode(new ProtoWriter().string(1, long).string(2, 'é').finish());
    expect(str(fs, 1)).toBe(long);
    expect(str(fs, 2)).toBe('é');
  });
});

describe('encodeOpenApiV2Document on the served document', () => {
  const doc = openApiV2() as Json;
  const fs = decode(openApiV2Protobuf(openApiV2Serialized()).bytes);

  it('carries the swagger version and info', () => {
    expect(str(fs, 1)).toBe('2.0');
    const info = sub(fs, 2)!;
    expect(str(info, 1)).toBe('Kubernetes');
    expect(str(info, 2)).toBe(doc.info.version);
  });

  it('round-trips every definition, with its vendor extensions, back to the JSON document', () => {
    const named = subs(sub(fs, 9)!, 1);
    const defs = allDefinitions();
    expect(named.map((n) => str(n, 1))).toEqual(Object.keys(defs));
    for (const n of named) {
      const name = str(n, 1)!;
      expect(canonical(schemaToJson(sub(n, 2)!)), name).toEqual(canonical(defs[name]));
    }
  });

  it('gives kubectl the group-version-kind, refs, types and patch keys it validates and patches with', () => {
    const byName = new Map(subs(sub(fs, 9)!, 1).map((n) => [str(n, 1)!, sub(n, 2)!]));
    const deployment = byName.get('io.k8s.api.apps.v1.Deployment')!;
    expect(strs(sub(deployment, 22)!, 1)).toEqual(['object']);
    expect(extensions(deployment, 31)['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
    // The YAML text kubectl parses is the value's JSON.
    const gvk = subs(deployment, 31).find((x) => str(x, 1) === 'x-kubernetes-group-version-kind')!;
    const yamlText = str(sub(gvk, 2)!, 2)!;
    expect(JSON.parse(yamlText)).toEqual([{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
    const props = new Map(subs(sub(deployment, 25)!, 1).map((n) => [str(n, 1)!, sub(n, 2)!]));
    expect(str(props.get('spec')!, 1)).toBe('#/definitions/io.k8s.api.apps.v1.DeploymentSpec');

    const podSpec = byName.get('io.k8s.api.core.v1.PodSpec')!;
    const containers = subs(sub(podSpec, 25)!, 1).find((n) => str(n, 1) === 'containers')!;
    const containersSchema = sub(containers, 2)!;
    expect(strs(sub(containersSchema, 22)!, 1)).toEqual(['array']);
    expect(str(subs(sub(containersSchema, 23)!, 1)[0]!, 1)).toBe(
      '#/definitions/io.k8s.api.core.v1.Container',
    );
    expect(extensions(containersSchema, 31)).toMatchObject({
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge',
    });

    const configMap = byName.get('io.k8s.api.core.v1.ConfigMap')!;
    const data = sub(
      subs(sub(configMap, 25)!, 1).find((n) => str(n, 1) === 'data')!,
      2,
    )!;
    expect(strs(sub(data, 22)!, 1)).toEqual(['object']);
    expect(strs(sub(sub(sub(data, 21)!, 1)!, 22)!, 1)).toEqual(['string']);
  });

  it('encodes paths with operations, parameters, responses and the operations’ GVK', () => {
    const paths = new Map(subs(sub(fs, 8)!, 2).map((n) => [str(n, 1)!, sub(n, 2)!]));
    expect([...paths.keys()]).toEqual(Object.keys(doc.paths));
    const item = paths.get('/api/v1/namespaces/{namespace}/configmaps/{name}')!;
    // Path-level parameters: name and namespace are path parameters (NonBodyParameter field 4).
    const pathParams = subs(item, 9).map((p) => sub(sub(sub(p, 1)!, 2)!, 4));
    expect(pathParams.filter(Boolean).map((p) => str(p!, 4))).toEqual(['name', 'namespace']);
    expect(varint(pathParams[0]!, 1)).toBe(1n); // required

    const patch = sub(item, 8)!;
    expect(str(patch, 5)).toBe('patchCoreV1NamespacedConfigMap');
    expect(strs(patch, 7)).toEqual(
      doc.paths['/api/v1/namespaces/{namespace}/configmaps/{name}'].patch.consumes,
    );
    expect(extensions(patch, 13)).toEqual({
      'x-kubernetes-action': 'patch',
      'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind: 'ConfigMap' },
    });
    const params = subs(patch, 8).map((p) => sub(p, 1)!);
    const body = sub(params[0]!, 1)!;
    expect([str(body, 2), str(body, 3), varint(body, 4)]).toEqual(['body', 'body', 1n]);
    expect(str(sub(body, 5)!, 1)).toBe('#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch');
    const query = params.slice(1).map((p) => sub(sub(p, 2)!, 3)!);
    const fieldValidation = query.find((q) => str(q, 4) === 'fieldValidation')!;
    expect([str(fieldValidation, 2), str(fieldValidation, 6), varint(fieldValidation, 20)]).toEqual([
      'query',
      'string',
      1n,
    ]);

    const responses = new Map(subs(sub(patch, 9)!, 1).map((n) => [str(n, 1)!, sub(sub(n, 2)!, 1)!]));
    expect([...responses.keys()]).toEqual(['200', '201', '401']);
    expect(str(responses.get('200')!, 1)).toBe('OK');
    expect(str(sub(sub(responses.get('200')!, 2)!, 1)!, 1)).toBe(
      '#/definitions/io.k8s.api.core.v1.ConfigMap',
    );
    expect(sub(responses.get('401')!, 2)).toBeUndefined();
  });

  it('encodes the security definition and requirement', () => {
    const def = subs(sub(fs, 13)!, 1)[0]!;
    expect(str(def, 1)).toBe('BearerToken');
    const apiKey = sub(sub(def, 2)!, 2)!;
    expect([str(apiKey, 1), str(apiKey, 2), str(apiKey, 3)]).toEqual(['apiKey', 'authorization', 'header']);
    const requirement = subs(fs, 12)[0]!;
    expect(str(subs(requirement, 1)[0]!, 1)).toBe('BearerToken');
  });
});

describe('encodeOpenApiV2Document on constructs the served document does not use', () => {
  it('encodes enum, default, bounds, allOf, item lists and additionalProperties: false', () => {
    const fs = decode(
      encodeOpenApiV2Document({
        swagger: '2.0',
        definitions: {
          T: {
            type: ['object', 'null'],
            additionalProperties: false,
            allOf: [{ $ref: '#/definitions/U' }],
            properties: {
              mode: { type: 'string', enum: ['a', 'b'], default: 'a', pattern: '^[ab]$' },
              n: { type: 'number', minimum: -2.5, maximum: 10, exclusiveMaximum: true, multipleOf: 0.5 },
              tuple: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }], maxItems: 2 },
            },
          },
        },
      }),
    );
    const t = sub(subs(sub(fs, 9)!, 1)[0]!, 2)!;
    expect(strs(sub(t, 22)!, 1)).toEqual(['object', 'null']);
    expect(one(sub(t, 21)!, 2)).toMatchObject({ wireType: 0, value: 0n });
    expect(str(subs(t, 24)[0]!, 1)).toBe('#/definitions/U');
    const props = new Map(subs(sub(t, 25)!, 1).map((n) => [str(n, 1)!, sub(n, 2)!]));
    const mode = props.get('mode')!;
    expect(subs(mode, 20).map((a) => YAML.parse(str(a, 2)!))).toEqual(['a', 'b']);
    expect(YAML.parse(str(sub(mode, 5)!, 2)!)).toBe('a');
    expect(str(mode, 13)).toBe('^[ab]$');
    const n = props.get('n')!;
    expect([double(n, 9), double(n, 7), varint(n, 8), double(n, 6)]).toEqual([-2.5, 10, 1n, 0.5]);
    const tuple = props.get('tuple')!;
    expect(subs(sub(tuple, 23)!, 1).map((s) => strs(sub(s, 22)!, 1)[0])).toEqual(['string', 'integer']);
    expect(varint(tuple, 14)).toBe(2n);
  });

  it('encodes header and formData parameters, parameter refs and primitive items', () => {
    const fs = decode(
      encodeOpenApiV2Document({
        swagger: '2.0',
        paths: {
          '/x': {
            get: {
              parameters: [
                { $ref: '#/parameters/p' },
                { name: 'h', in: 'header', type: 'string', required: true },
                {
                  name: 'f',
                  in: 'formData',
                  type: 'array',
                  allowEmptyValue: true,
                  items: { type: 'integer', format: 'int32' },
                  collectionFormat: 'csv',
                },
              ],
              responses: { default: { $ref: '#/responses/r' } },
            },
          },
        },
      }),
    );
    const get = sub(sub(subs(sub(fs, 8)!, 2)[0]!, 2)!, 2)!;
    const [ref, header, form] = subs(get, 8);
    expect(str(sub(ref!, 2)!, 1)).toBe('#/parameters/p');
    const h = sub(sub(sub(header!, 1)!, 2)!, 1)!;
    expect([varint(h, 1), str(h, 2), str(h, 4), str(h, 5)]).toEqual([1n, 'header', 'h', 'string']);
    const f = sub(sub(sub(form!, 1)!, 2)!, 2)!;
    expect([str(f, 2), str(f, 4), varint(f, 5), str(f, 6), str(f, 9)]).toEqual([
      'formData',
      'f',
      1n,
      'array',
      'csv',
    ]);
    const items = sub(f, 8)!;
    expect([str(items, 1), str(items, 2)]).toEqual(['integer', 'int32']);
    const response = subs(sub(get, 9)!, 1)[0]!;
    expect(str(response, 1)).toBe('default');
    expect(str(sub(sub(response, 2)!, 2)!, 1)).toBe('#/responses/r');
  });
});

describe('openApiV2Protobuf', () => {
  it('hashes the bytes (SHA-512, uppercase hex) and reuses the encoding while the JSON is unchanged', () => {
    const json = openApiV2Serialized();
    const a = openApiV2Protobuf(json);
    expect(a.hash).toBe(createHash('sha512').update(a.bytes).digest('hex').toUpperCase());
    expect(a.hash).not.toBe(json.hash);
    expect(openApiV2Protobuf(json)).toBe(a);
    const other = { swagger: '2.0', info: { title: 'other', version: 'v0' } };
    const b = openApiV2Protobuf({ json: JSON.stringify(other), hash: 'OTHER' });
    expect(str(sub(decode(b.bytes), 2)!, 1)).toBe('other');
    expect(openApiV2Protobuf(json).bytes).toEqual(a.bytes);
  });
});

describe('negotiateOpenApiV2', () => {
  it.each([
    [undefined, 'json'],
    ['', 'json'],
    ['*/*', 'json'],
    ['application/json', 'json'],
    ['application/json, */*', 'json'],
    ['application/*', 'json'],
    // What client-go's discovery client sends for kubectl's validation and explain (v2).
    ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'protobuf'],
    ['application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'protobuf'],
    ['application/com.github.proto-openapi.spec.v2.v1.0+protobuf, application/json', 'protobuf'],
    ['application/json;q=0.5, application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'protobuf'],
    ['*/*;q=0.1, application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'protobuf'],
    ['text/html, application/json;q=0.9', 'json'],
    ['text/html', undefined],
    ['application/json;q=0', undefined],
    ['application/yaml', undefined],
  ] as const)('Accept %j → %s', (accept, expected) => {
    expect(negotiateOpenApiV2(accept)).toBe(expected);
  });
});
