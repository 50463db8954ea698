import { describe, expect, it } from 'vitest';
import { formatCause } from '../../../shared/status';
import { checkTypes, pruneUnknownFields, strictDecodingMessage, unknownFieldWarnings } from './type-check';

const POD = 'io.k8s.api.core.v1.Pod';
const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';

function pod(spec: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }], ...spec },
    ...extra,
  };
}

function deployment(spec: Record<string, unknown>) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }] },
      },
      ...spec,
    },
  };
}

function fieldsOf(result: ReturnType<typeof checkTypes>) {
  return result.errors.map((e) => e.field);
}

describe('checkTypes', () => {
  it('accepts a well-typed Pod', () => {
    expect(checkTypes(POD, pod())).toEqual({ errors: [], unknownFields: [] });
  });

  it('accepts a full Pod with probes, resources, volumes, env sources and status', () => {
    const obj = pod(
      {
        containers: [
          {
            name: 'c',
            image: 'nginx',
            env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: 0.25 } },
            readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
            livenessProbe: { tcpSocket: { port: 8080 } },
            volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
          },
        ],
        volumes: [{ name: 'data', emptyDir: { sizeLimit: '1Gi' } }],
        tolerations: [{ key: 'k', operator: 'Exists', tolerationSeconds: 300 }],
        nodeSelector: { disk: 'ssd' },
      },
      {
        status: {
          phase: 'Running',
          podIP: '10.0.0.5',
          startTime: '2024-05-01T10:00:00Z',
          conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-05-01T10:00:01Z' }],
        },
      },
    );
    expect(checkTypes(POD, obj)).toEqual({ errors: [], unknownFields: [] });
  });

  it('reports a string where an integer belongs, with path, value, expected and found type', () => {
    const result = checkTypes(DEPLOYMENT, deployment({ replicas: 'three' }));
    expect(result.errors).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.replicas',
        message: 'Invalid value: "three": spec.replicas in body must be of type integer: "string"',
      },
    ]);
    expect(formatCause(result.errors[0]!)).toBe(
      'spec.replicas: Invalid value: "three": spec.replicas in body must be of type integer: "string"',
    );
  });

  it('reports a wrong type deep in nested lists', () => {
    const obj = deployment({});
    obj.spec.template.spec.containers[0]!.ports[0]!.containerPort = '80' as unknown as number;
    expect(fieldsOf(checkTypes(DEPLOYMENT, obj))).toEqual([
      'spec.template.spec.containers[0].ports[0].containerPort',
    ]);
  });

  it('uses the right index for the second element of a list', () => {
    const obj = pod({
      containers: [
        { name: 'a', image: 'x' },
        {
          name: 'b',
          image: 'y',
          env: [
            { name: 'A', value: 'ok' },
            { name: 'B', value: 7 },
          ],
        },
      ],
    });
    const result = checkTypes(POD, obj);
    expect(fieldsOf(result)).toEqual(['spec.containers[1].env[1].value']);
    expect(result.errors[0]!.message).toContain('must be of type string: "integer"');
  });

  it('rejects a float where an integer belongs', () => {
    const result = checkTypes(DEPLOYMENT, deployment({ replicas: 1.5 }));
    expect(result.errors[0]!.message).toBe(
      'Invalid value: 1.5: spec.replicas in body must be of type integer: "number"',
    );
  });

  it('rejects an int32 out of range', () => {
    const result = checkTypes(DEPLOYMENT, deployment({ replicas: 2 ** 31 }));
    expect(fieldsOf(result)).toEqual(['spec.replicas']);
    expect(result.errors[0]!.message).toContain('32-bit');
  });

  it('accepts int64 values beyond int32', () => {
    const obj = pod({ activeDeadlineSeconds: 2 ** 40 });
    expect(checkTypes(POD, obj).errors).toEqual([]);
  });

  it('reports an object where a list belongs and a list where an object belongs', () => {
    const obj = pod({ containers: { name: 'c' }, securityContext: [] });
    const result = checkTypes(POD, obj);
    expect(result.errors.map((e) => [e.field, e.message])).toEqual([
      ['spec.containers', 'Invalid value: "object": spec.containers in body must be of type array: "object"'],
      [
        'spec.securityContext',
        'Invalid value: "array": spec.securityContext in body must be of type object: "array"',
      ],
    ]);
  });

  it('reports a non-string label value with a map-key path', () => {
    const obj = pod();
    (obj.metadata.labels as Record<string, unknown>).tier = 3;
    const result = checkTypes(POD, obj);
    expect(fieldsOf(result)).toEqual(['metadata.labels[tier]']);
  });

  it('reports a boolean given as a string', () => {
    const obj = pod({ hostNetwork: 'true' });
    expect(checkTypes(POD, obj).errors[0]!.message).toBe(
      'Invalid value: "true": spec.hostNetwork in body must be of type boolean: "string"',
    );
  });

  it('accepts int-or-string fields as either, and rejects other types', () => {
    const ok = deployment({
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } },
    });
    expect(checkTypes(DEPLOYMENT, ok).errors).toEqual([]);
    const bad = deployment({ strategy: { rollingUpdate: { maxSurge: true, maxUnavailable: 0.5 } } });
    expect(checkTypes(DEPLOYMENT, bad).errors.map((e) => e.field)).toEqual([
      'spec.strategy.rollingUpdate.maxSurge',
      'spec.strategy.rollingUpdate.maxUnavailable',
    ]);
  });

  it('accepts quantities as strings or numbers and rejects malformed ones', () => {
    const ok = pod({
      containers: [
        { name: 'c', resources: { limits: { cpu: 2, memory: '1.5Gi' }, requests: { cpu: '100m' } } },
      ],
    });
    expect(checkTypes(POD, ok).errors).toEqual([]);
    const bad = pod({ containers: [{ name: 'c', resources: { limits: { cpu: 'lots', memory: {} } } }] });
    const result = checkTypes(POD, bad);
    expect(result.errors.map((e) => [e.field, e.reason])).toEqual([
      ['spec.containers[0].resources.limits[cpu]', 'FieldValueInvalid'],
      ['spec.containers[0].resources.limits[memory]', 'FieldValueTypeInvalid'],
    ]);
    expect(result.errors[0]!.message).toContain('quantities must match the regular expression');
  });

  it('checks date-time fields', () => {
    const good = pod({}, { metadata: { name: 'p', creationTimestamp: '2024-01-02T03:04:05Z' } });
    expect(checkTypes(POD, good).errors).toEqual([]);
    const bad = pod({}, { metadata: { name: 'p', creationTimestamp: 'yesterday', deletionTimestamp: 5 } });
    expect(fieldsOf(checkTypes(POD, bad))).toEqual([
      'metadata.creationTimestamp',
      'metadata.deletionTimestamp',
    ]);
  });

  it('accepts MicroTime with microseconds (Lease renewTime)', () => {
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'n' },
      spec: { renewTime: '2024-01-02T03:04:05.123456Z', leaseDurationSeconds: 40 },
    };
    expect(checkTypes('io.k8s.api.coordination.v1.Lease', lease).errors).toEqual([]);
  });

  it('checks base64 in Secret data', () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { ok: 'aGVsbG8=', bad: 'not base64!' },
      stringData: { plain: 'anything' },
    };
    const result = checkTypes('io.k8s.api.core.v1.Secret', secret);
    expect(fieldsOf(result)).toEqual(['data[bad]']);
  });

  it('accepts null wherever Go decoding would (fields, list items, map values)', () => {
    const obj = pod({
      nodeSelector: null,
      containers: [{ name: 'c', image: null, ports: null }],
      tolerations: [null],
    });
    (obj.metadata as Record<string, unknown>).annotations = { a: null };
    expect(checkTypes(POD, obj).errors).toEqual([]);
  });

  it('reports a root that is not an object', () => {
    expect(checkTypes(POD, 'pod').errors[0]).toMatchObject({
      field: '',
      message: 'Invalid value: "pod": <root> in body must be of type object: "string"',
    });
  });

  it('lists unknown fields at every depth, in document order', () => {
    const obj = pod(
      {
        containers: [
          { name: 'c', image: 'x', imagePullPolicyy: 'Always', ports: [{ containerPort: 80, hostPortt: 1 }] },
        ],
        foo: 1,
      },
      { extra: true },
    );
    const result = checkTypes(POD, obj);
    expect(result.errors).toEqual([]);
    expect(result.unknownFields).toEqual([
      'spec.containers[0].imagePullPolicyy',
      'spec.containers[0].ports[0].hostPortt',
      'spec.foo',
      'extra',
    ]);
  });

  it('finds unknown fields inside maps of structs and in the pod template of a Deployment', () => {
    const obj = deployment({});
    (obj.spec.template.metadata as Record<string, unknown>).labelz = {};
    (obj.spec.selector as Record<string, unknown>).matchLabelz = {};
    expect(checkTypes(DEPLOYMENT, obj).unknownFields).toEqual([
      'spec.selector.matchLabelz',
      'spec.template.metadata.labelz',
    ]);
  });

  it('does not look inside free-form fields (managedFields fieldsV1, WatchEvent object)', () => {
    const obj = pod(
      {},
      {
        metadata: {
          name: 'p',
          managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': { 'f:x': {} } } }],
        },
      },
    );
    expect(checkTypes(POD, obj)).toEqual({ errors: [], unknownFields: [] });
    const event = { type: 'ADDED', object: { anything: [1, 2] } };
    expect(checkTypes('io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent', event)).toEqual({
      errors: [],
      unknownFields: [],
    });
  });

  it('reports several errors at once', () => {
    const obj = deployment({ replicas: '2', minReadySeconds: '5', paused: 'no' });
    expect(fieldsOf(checkTypes(DEPLOYMENT, obj))).toEqual([
      'spec.replicas',
      'spec.minReadySeconds',
      'spec.paused',
    ]);
  });

  it('checks every served kind and its list', () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { ports: [{ port: 80, targetPort: 'http' }, { port: '443' }] },
    };
    expect(fieldsOf(checkTypes('io.k8s.api.core.v1.Service', svc))).toEqual(['spec.ports[1].port']);
    const list = {
      apiVersion: 'v1',
      kind: 'PodList',
      metadata: { resourceVersion: '5' },
      items: [pod(), pod({ restartPolicy: 1 })],
    };
    expect(fieldsOf(checkTypes('io.k8s.api.core.v1.PodList', list))).toEqual(['items[1].spec.restartPolicy']);
    const slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'e' },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: 'yes' } }],
    };
    expect(fieldsOf(checkTypes('io.k8s.api.discovery.v1.EndpointSlice', slice))).toEqual([
      'endpoints[0].conditions.ready',
    ]);
  });

  it('does not modify the object', () => {
    const obj = pod({ foo: 1, nodeName: null });
    const copy = structuredClone(obj);
    checkTypes(POD, obj);
    expect(obj).toEqual(copy);
  });

  it('throws for an unknown definition name (a programming error)', () => {
    expect(() => checkTypes('io.k8s.api.core.v1.Nope', {})).toThrow(/unknown definition/);
  });
});

describe('pruneUnknownFields', () => {
  it('removes unknown fields and null fields in place, at every depth', () => {
    const obj = pod(
      {
        containers: [{ name: 'c', image: 'x', imagePullPolicyy: 'Always', command: null }],
        foo: 1,
        nodeName: null,
      },
      { extra: true },
    );
    const result = pruneUnknownFields(POD, obj);
    expect(result.unknownFields).toEqual(['spec.containers[0].imagePullPolicyy', 'spec.foo', 'extra']);
    expect(obj).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    });
    expect(checkTypes(POD, obj)).toEqual({ errors: [], unknownFields: [] });
  });

  it('still reports type errors', () => {
    const obj = deployment({ replicas: 'x', bogus: 1 });
    const result = pruneUnknownFields(DEPLOYMENT, obj);
    expect(fieldsOf(result)).toEqual(['spec.replicas']);
    expect('bogus' in obj.spec).toBe(false);
  });

  it('leaves directive-like keys of a strategic merge patch result out of the stored object', () => {
    const obj = pod({ '$setElementOrder/containers': [{ name: 'c' }] });
    pruneUnknownFields(POD, obj);
    expect(Object.keys(obj.spec)).toEqual(['containers']);
  });
});

describe('field validation messages', () => {
  it('formats Strict and Warn like Kubernetes', () => {
    expect(strictDecodingMessage(['spec.foo', 'spec.bar'])).toBe(
      'strict decoding error: unknown field "spec.foo", unknown field "spec.bar"',
    );
    expect(unknownFieldWarnings(['spec.foo'])).toEqual(['unknown field "spec.foo"']);
  });
});

describe('speed', () => {
  it('checks a typical Pod in well under 50 µs', () => {
    const obj = pod({
      containers: [
        {
          name: 'c',
          image: 'nginx',
          env: [{ name: 'A', value: '1' }],
          resources: { limits: { cpu: '1' } },
          ports: [{ containerPort: 80, protocol: 'TCP' }],
        },
      ],
      tolerations: [{ key: 'k', operator: 'Exists' }],
    });
    checkTypes(POD, obj);
    const rounds = 5;
    const n = 5000;
    const perPod: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) checkTypes(POD, obj);
      perPod.push(Number(process.hrtime.bigint() - start) / n / 1000);
    }
    perPod.sort((a, b) => a - b);
    // Median; generous bound so a loaded CI machine does not flake (measured ≈ 2 µs here).
    expect(perPod[Math.floor(rounds / 2)]).toBeLessThan(50);
  });
});
