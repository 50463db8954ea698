import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { RESOURCES, apiVersionOf } from '../../../shared/resources';
import { goDuration, rfc3339 } from './convert';
import { decodeKubernetesProtobuf, isProtobufDecodeError, readEnvelope } from './decode';
import type { ProtobufErrorCode } from './decode';
import { MESSAGES, messageForKind } from './table';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

// ---------------------------------------------------------------------------------------------
// A minimal protobuf encoder, for bodies kubectl does not send on its own (field numbers below are
// those of Kubernetes' generated.proto files, written out independently of the generated table).
type Bytes = number[];
function varint(v: bigint | number): Bytes {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: Bytes = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return out;
}
const int = (n: number, v: bigint | number): Bytes => [...varint(n * 8), ...varint(v)];
const bytes = (n: number, b: Bytes | Uint8Array): Bytes => [...varint(n * 8 + 2), ...varint(b.length), ...b];
const str = (n: number, s: string): Bytes => bytes(n, [...Buffer.from(s, 'utf8')]);
const msg = (n: number, ...parts: Bytes[]): Bytes => bytes(n, parts.flat());
const entry = (n: number, key: string, value: Bytes): Bytes => msg(n, str(1, key), value);
function envelope(apiVersion: string, kind: string, raw: Bytes, extra: Bytes[] = []): Buffer {
  return Buffer.from([
    0x6b,
    0x38,
    0x73,
    0x00,
    ...msg(1, str(1, apiVersion), str(2, kind)),
    ...bytes(2, raw),
    ...extra.flat(),
  ]);
}

function errorCode(fn: () => unknown): ProtobufErrorCode | 'no error' | 'other error' {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return isProtobufDecodeError(err) ? err.code : 'other error';
  }
}

/** kubectl's JSON writes zero times as `null`; the decoder leaves them out (same meaning). */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, withoutNulls(v)]),
    );
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
describe('decodeKubernetesProtobuf with bodies captured from kubectl 1.32', () => {
  // Each .pb is the request body of `kubectl create …` and each .json the output of the same
  // command with `--dry-run=client -o json` (see fixtures/README.md).
  const cases: [string, string, string][] = [
    ['create-namespace', 'v1', 'Namespace'],
    ['create-configmap', 'v1', 'ConfigMap'],
    ['create-secret-generic', 'v1', 'Secret'],
    ['create-secret-docker-registry', 'v1', 'Secret'],
    ['create-deployment', 'apps/v1', 'Deployment'],
    ['create-deployment-replicas-zero', 'apps/v1', 'Deployment'],
    ['create-service-nodeport', 'v1', 'Service'],
    ['create-service-clusterip-headless', 'v1', 'Service'],
    ['create-service-externalname', 'v1', 'Service'],
    ['create-serviceaccount', 'v1', 'ServiceAccount'],
  ];
  for (const [name, apiVersion, kind] of cases) {
    it(`${name}: equals kubectl's own JSON for the command`, () => {
      const decoded = decodeKubernetesProtobuf(readFileSync(join(fixtures, `${name}.pb`)));
      expect(decoded.apiVersion).toBe(apiVersion);
      expect(decoded.kind).toBe(kind);
      const expected = withoutNulls(JSON.parse(readFileSync(join(fixtures, `${name}.json`), 'utf8')));
      expect(decoded.object).toEqual(expected);
    });
  }

  it('keeps an explicit zero in a pointer field (replicas: 0 is not "unset")', () => {
    const { object } = decodeKubernetesProtobuf(
      readFileSync(join(fixtures, 'create-deployment-replicas-zero.pb')),
    );
    expect((object.spec as { replicas?: number }).replicas).toBe(0);
  });

  it('decodes bytes fields and map<string, bytes> values as base64', () => {
    const { object } = decodeKubernetesProtobuf(readFileSync(join(fixtures, 'create-configmap.pb')));
    expect(object.binaryData).toEqual({ blob: Buffer.from([0, 1, 2, 0xff]).toString('base64') });
    const secret = decodeKubernetesProtobuf(readFileSync(join(fixtures, 'create-secret-generic.pb'))).object;
    expect(Buffer.from((secret.data as Record<string, string>).pw!, 'base64').toString()).toBe('hunter2');
  });
});

describe('decodeKubernetesProtobuf with hand-encoded bodies', () => {
  it('decodes a policy/v1 Eviction with DeleteOptions (what a typed client sends for pods/eviction)', () => {
    const body = envelope('policy/v1', 'Eviction', [
      ...msg(1, str(1, 'p1'), str(3, 'default')), // metadata: name, namespace
      ...msg(
        2, // deleteOptions
        int(1, 0), // gracePeriodSeconds: 0 (a pointer: kept)
        msg(2, str(1, 'uid-1')), // preconditions.uid
        str(4, 'Foreground'), // propagationPolicy
        str(5, 'All'), // dryRun
      ),
    ]);
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      object: {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: 'p1', namespace: 'default' },
        deleteOptions: {
          gracePeriodSeconds: 0,
          preconditions: { uid: 'uid-1' },
          propagationPolicy: 'Foreground',
          dryRun: ['All'],
        },
      },
    });
  });

  it('converts Time, MicroTime and FieldsV1 (a Lease as a leader-election client writes it)', () => {
    const at = Date.UTC(2026, 10, 25, 19, 0, 0) / 1000;
    const body = envelope('coordination.k8s.io/v1', 'Lease', [
      ...msg(
        1,
        str(1, 'node-a'),
        str(3, 'kube-node-lease'),
        msg(8, int(1, at)), // creationTimestamp
        msg(
          17,
          str(1, 'kubelet'),
          str(2, 'Update'),
          str(3, 'coordination.k8s.io/v1'),
          msg(4, int(1, at)),
          str(6, 'FieldsV1'),
          msg(7, str(1, '{"f:spec":{"f:holderIdentity":{}}}')),
        ),
      ),
      ...msg(
        2,
        str(1, 'node-a'),
        int(2, 40),
        msg(3, int(1, at), int(2, 123_456_789)),
        msg(4, int(1, at + 10)),
      ),
    ]);
    expect(decodeKubernetesProtobuf(body).object).toEqual({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: 'node-a',
        namespace: 'kube-node-lease',
        creationTimestamp: '2026-11-25T19:00:00Z',
        managedFields: [
          {
            manager: 'kubelet',
            operation: 'Update',
            apiVersion: 'coordination.k8s.io/v1',
            time: '2026-11-25T19:00:00Z',
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:spec': { 'f:holderIdentity': {} } },
          },
        ],
      },
      spec: {
        holderIdentity: 'node-a',
        leaseDurationSeconds: 40,
        acquireTime: '2026-11-25T19:00:00.123456Z',
        renewTime: '2026-11-25T19:00:10.000000Z',
      },
    });
  });

  it('merges inline fields, converts Quantity and IntOrString, reads negative, packed and unknown fields', () => {
    const body = envelope('v1', 'Pod', [
      ...msg(1, str(1, 'web'), int(10, -5), entry(12, 'note', str(2, 'x'))), // deletionGracePeriodSeconds, annotations
      ...msg(
        2,
        // volumes[0]: name + inline volumeSource.emptyDir{medium, sizeLimit}
        msg(1, str(1, 'cache'), msg(2, msg(2, str(1, 'Memory'), msg(2, str(1, '64Mi'))))),
        msg(
          2, // containers[0]
          str(1, 'c'),
          str(2, 'busybox:1'),
          msg(8, entry(1, 'cpu', msg(2, str(1, '500m'))), entry(2, 'memory', msg(2, str(1, '')))), // resources
          msg(11, msg(1, msg(2, str(1, '/healthz'), msg(2, int(1, 1), str(3, 'http')))), int(4, 10)), // readinessProbe
          msg(6, int(3, 8080)), // ports[0].containerPort
          int(4_242, 7), // a field this table does not know: skipped
        ),
        int(4, 0), // terminationGracePeriodSeconds: 0 (pointer: kept)
        msg(14, int(2, 0), bytes(4, [...varint(1000), ...varint(2000)]), int(4, 3000)), // securityContext
      ),
    ]);
    const { object } = decodeKubernetesProtobuf(body);
    expect(object).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', deletionGracePeriodSeconds: -5, annotations: { note: 'x' } },
      spec: {
        volumes: [{ name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }],
        containers: [
          {
            name: 'c',
            image: 'busybox:1',
            ports: [{ containerPort: 8080 }],
            resources: { limits: { cpu: '500m' }, requests: { memory: '0' } },
            readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
          },
        ],
        terminationGracePeriodSeconds: 0,
        securityContext: { runAsUser: 0, supplementalGroups: [1000, 2000, 3000] },
      },
    });
  });

  it('accepts meta kinds (DeleteOptions) under any group version', () => {
    const body = envelope('apps/v1', 'DeleteOptions', [...int(1, 30), ...str(4, 'Background')]);
    expect(decodeKubernetesProtobuf(body).object).toEqual({
      apiVersion: 'apps/v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 30,
      propagationPolicy: 'Background',
    });
  });
});

describe('decodeKubernetesProtobuf errors', () => {
  it('rejects a body without the k8s envelope', () => {
    expect(errorCode(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"Namespace"}')))).toBe(
      'NotKubernetesProtobuf',
    );
    expect(errorCode(() => decodeKubernetesProtobuf(Buffer.alloc(0)))).toBe('NotKubernetesProtobuf');
  });

  it('names a kind it has no table for', () => {
    const body = envelope('example.com/v1', 'Widget', [...msg(1, str(1, 'w'))]);
    expect(errorCode(() => decodeKubernetesProtobuf(body))).toBe('UnknownKind');
    expect(() => decodeKubernetesProtobuf(body)).toThrow(/Widget \(example.com\/v1\).*application\/json/);
  });

  it('reports every cut inside the object as truncated', () => {
    const full = readFileSync(join(fixtures, 'create-deployment.pb'));
    const env = readEnvelope(full);
    const rawStart = env.raw.byteOffset - full.byteOffset;
    const rawEnd = rawStart + env.raw.length;
    let cuts = 0;
    // From inside raw's 2-byte length prefix to its last byte (a cut before raw leaves a valid, empty object).
    for (let len = rawStart - 2; len < rawEnd; len++) {
      expect(
        errorCode(() => decodeKubernetesProtobuf(full.subarray(0, len))),
        `cut at ${len}`,
      ).toBe('Truncated');
      cuts++;
    }
    expect(cuts).toBe(env.raw.length + 2);
    expect(() => decodeKubernetesProtobuf(full.subarray(0, 100))).toThrow(
      /truncated protobuf: .* runs past the end/,
    );
  });

  it('rejects compressed envelopes and wire types that contradict the table', () => {
    const gz = envelope('v1', 'Namespace', [...msg(1, str(1, 'x'))], [str(3, 'gzip')]);
    expect(errorCode(() => decodeKubernetesProtobuf(gz))).toBe('UnsupportedEncoding');
    const wrong = envelope('v1', 'Namespace', [...int(1, 7)]); // metadata as a varint
    expect(errorCode(() => decodeKubernetesProtobuf(wrong))).toBe('Malformed');
    expect(() => decodeKubernetesProtobuf(wrong)).toThrow(/Namespace\.metadata has wire type 0, expected 2/);
  });
});

describe('JSON forms of meta types', () => {
  it('writes times as RFC 3339 (seconds for Time, microseconds for MicroTime)', () => {
    const t = Date.UTC(2026, 10, 25, 19, 0, 0) / 1000;
    expect(rfc3339(t)).toBe('2026-11-25T19:00:00Z');
    expect(rfc3339(t, 5)).toBe('2026-11-25T19:00:00.000005Z');
  });

  it('writes durations as Go does', () => {
    expect(goDuration(0n)).toBe('0s');
    expect(goDuration(1_500_000n)).toBe('1.5ms');
    expect(goDuration(2_000n)).toBe('2µs');
    expect(goDuration(999n)).toBe('999ns');
    expect(goDuration(90_000_000_000n)).toBe('1m30s');
    expect(goDuration(3_600_000_000_000n)).toBe('1h0m0s');
    expect(goDuration(3_723_500_000_000n)).toBe('1h2m3.5s');
    expect(goDuration(-5_000_000_000n)).toBe('-5s');
  });
});

describe('the generated table', () => {
  it('has a message for every served kind, its List, and the subresource and meta kinds', () => {
    for (const r of RESOURCES) {
      if (r.group.endsWith('flotilla.dev')) continue;
      expect(messageForKind(apiVersionOf(r), r.kind), r.kind).toBeDefined();
      expect(messageForKind(apiVersionOf(r), r.listKind), r.listKind).toBeDefined();
    }
    expect(messageForKind('autoscaling/v1', 'Scale')).toBe('k8s.io.api.autoscaling.v1.Scale');
    expect(messageForKind('policy/v1', 'Eviction')).toBe('k8s.io.api.policy.v1.Eviction');
    expect(messageForKind('v1', 'Binding')).toBe('k8s.io.api.core.v1.Binding');
    expect(messageForKind('v1', 'DeleteOptions')).toBe('k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions');
  });

  it('is closed: every message a field names is in the table', () => {
    const scalars = new Set(['bool', 'int32', 'int64', 'uint32', 'uint64', 'double', 'string', 'bytes']);
    for (const [name, def] of Object.entries(MESSAGES.messages)) {
      for (const f of Object.values(def.fields)) {
        const t = f.map ? f.map.value : f.type;
        if (!scalars.has(t)) expect(MESSAGES.messages[t], `${name}.${f.name} → ${t}`).toBeDefined();
      }
    }
  });

  const kubectl = '/usr/bin/kubectl';
  it.skipIf(!existsSync(kubectl) && process.env.CI !== 'true')(
    'is what the generator makes from the kubectl on this machine',
    async () => {
      const { buildTable } = await import('../../../../scripts/generate-protobuf-tables');
      const { table } = buildTable(kubectl);
      const source = (table as { source: string }).source;
      if (source !== MESSAGES.source) {
        // A different kubectl: its table may legitimately differ; say so instead of failing.
        console.warn(
          `skipping table comparison: ${kubectl} is "${source}", the committed table is "${MESSAGES.source}"`,
        );
        return;
      }
      expect(table).toEqual(MESSAGES);
    },
  );
});
