import { describe, expect, it } from 'vitest';
import { jsonMergePatch, jsonPatch, strategicMergePatch, type PatchResult } from './patch';

const POD = 'io.k8s.api.core.v1.Pod';
const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';

function value(result: PatchResult): unknown {
  if (!result.ok) throw new Error(`patch failed: ${result.error.code}: ${result.error.message}`);
  return result.value;
}

function errorOf(result: PatchResult) {
  if (result.ok) throw new Error('expected the patch to fail');
  return result.error;
}

describe('jsonMergePatch (RFC 7386)', () => {
  // The test vectors of RFC 7386 appendix A.
  const vectors: Array<[unknown, unknown, unknown]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(vectors)('%j + %j', (target, patch, expected) => {
    expect(jsonMergePatch(target, patch)).toEqual(expected);
  });

  it('does not modify its inputs or share structure with them', () => {
    const target = { metadata: { labels: { a: '1' } }, spec: { x: { y: 1 } } };
    const patch = { metadata: { labels: { b: '2' } } };
    const result = jsonMergePatch(target, patch) as typeof target;
    expect(target).toEqual({ metadata: { labels: { a: '1' } }, spec: { x: { y: 1 } } });
    expect(patch).toEqual({ metadata: { labels: { b: '2' } } });
    result.spec.x.y = 2;
    expect(target.spec.x.y).toBe(1);
  });

  it('treats a parsed "__proto__" key as data, not as the prototype', () => {
    const result = jsonMergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('jsonPatch (RFC 6902)', () => {
  const doc = {
    metadata: { name: 'p', labels: { app: 'web' } },
    spec: { containers: [{ name: 'a', image: 'x' }] },
  };

  it('applies add, replace, remove, copy, move and test in order', () => {
    const result = jsonPatch(doc, [
      { op: 'test', path: '/metadata/name', value: 'p' },
      { op: 'add', path: '/metadata/labels/tier', value: 'front' },
      { op: 'replace', path: '/spec/containers/0/image', value: 'y' },
      { op: 'add', path: '/spec/containers/-', value: { name: 'b', image: 'z' } },
      { op: 'copy', from: '/metadata/labels/app', path: '/metadata/labels/copy' },
      { op: 'move', from: '/metadata/labels/copy', path: '/metadata/labels/moved' },
      { op: 'remove', path: '/metadata/labels/app' },
    ]);
    expect(value(result)).toEqual({
      metadata: { name: 'p', labels: { tier: 'front', moved: 'web' } },
      spec: {
        containers: [
          { name: 'a', image: 'y' },
          { name: 'b', image: 'z' },
        ],
      },
    });
    expect(doc.metadata.labels).toEqual({ app: 'web' });
  });

  it('reports a failed test with the operation index and path', () => {
    const error = errorOf(
      jsonPatch(doc, [
        { op: 'add', path: '/metadata/labels/x', value: '1' },
        { op: 'test', path: '/metadata/name', value: 'q' },
      ]),
    );
    expect(error).toMatchObject({ code: 'TestFailed', operationIndex: 1, path: '/metadata/name' });
    expect(error.message).toMatch(/^json patch operation 1 \(test \/metadata\/name\) failed/);
  });

  it('reports removing or replacing a missing path', () => {
    expect(errorOf(jsonPatch(doc, [{ op: 'remove', path: '/spec/nope' }]))).toMatchObject({
      code: 'PathNotFound',
      operationIndex: 0,
      path: '/spec/nope',
    });
    expect(errorOf(jsonPatch(doc, [{ op: 'replace', path: '/status/phase', value: 'x' }])).code).toBe(
      'PathNotFound',
    );
    expect(errorOf(jsonPatch(doc, [{ op: 'add', path: '/spec/containers/7', value: {} }])).code).toBe(
      'PathNotFound',
    );
  });

  it('reports malformed operations and documents', () => {
    expect(errorOf(jsonPatch(doc, [{ op: 'frobnicate', path: '/a' }]))).toMatchObject({
      code: 'InvalidOperation',
      operationIndex: 0,
    });
    expect(errorOf(jsonPatch(doc, [{ op: 'add', path: '/a' }])).code).toBe('InvalidOperation');
    expect(errorOf(jsonPatch(doc, { op: 'add' })).code).toBe('BadPatchFormat');
  });

  it('refuses to touch __proto__', () => {
    const result = jsonPatch({}, [{ op: 'add', path: '/__proto__/polluted', value: true }]);
    expect(result.ok).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

function livePod() {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      labels: { app: 'web', tier: 'front' },
      finalizers: ['a.example.com/x', 'b.example.com/y'],
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1' }],
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'app:1',
          args: ['--a', '--b'],
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
            { name: 'C', value: '3' },
          ],
          ports: [{ containerPort: 80, name: 'http' }],
        },
        { name: 'sidecar', image: 'sidecar:1' },
      ],
      volumes: [{ name: 'data', emptyDir: { medium: 'Memory' } }],
      tolerations: [{ key: 'a', operator: 'Exists' }],
    },
    status: {
      conditions: [
        { type: 'Ready', status: 'False' },
        { type: 'PodScheduled', status: 'True' },
      ],
    },
  };
}

type LivePod = ReturnType<typeof livePod>;

function smp(patch: unknown, original: unknown = livePod(), def = POD): LivePod {
  return value(strategicMergePatch(original, patch, def)) as LivePod;
}

describe('strategicMergePatch: merging', () => {
  it('patches one container by name and leaves the others alone', () => {
    const result = smp({ spec: { containers: [{ name: 'sidecar', image: 'sidecar:2' }] } });
    expect(result.spec.containers).toEqual([
      livePod().spec.containers[0],
      { name: 'sidecar', image: 'sidecar:2' },
    ]);
  });

  it('adds a container with a new name before the live ones (as Kubernetes does)', () => {
    // kubernetes.io "Update API Objects in Place Using kubectl patch": patching in container
    // patch-demo-ctr-2 lists it before the existing patch-demo-ctr.
    const result = smp({ spec: { containers: [{ name: 'extra', image: 'e:1' }] } });
    expect(result.spec.containers.map((c) => c.name)).toEqual(['extra', 'app', 'sidecar']);
  });

  it('merges nested merge lists (env by name inside a container)', () => {
    const result = smp({
      spec: {
        containers: [
          {
            name: 'app',
            env: [
              { name: 'B', value: 'two' },
              { name: 'D', value: '4' },
            ],
          },
        ],
      },
    });
    expect(result.spec.containers[0]!.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'two' },
      { name: 'D', value: '4' },
      { name: 'C', value: '3' },
    ]);
  });

  it('deletes an env var with $patch: delete', () => {
    const result = smp({ spec: { containers: [{ name: 'app', env: [{ name: 'B', $patch: 'delete' }] }] } });
    expect(result.spec.containers[0]!.env!.map((e) => e.name)).toEqual(['A', 'C']);
  });

  it('replaces lists that have no merge strategy (args, tolerations)', () => {
    const result = smp({
      spec: { containers: [{ name: 'app', args: ['--c'] }], tolerations: [{ key: 'b', operator: 'Exists' }] },
    });
    expect(result.spec.containers[0]!.args).toEqual(['--c']);
    expect(result.spec.tolerations).toEqual([{ key: 'b', operator: 'Exists' }]);
  });

  it('merges ports by containerPort', () => {
    const result = smp({
      spec: {
        containers: [
          { name: 'app', ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443 }] },
        ],
      },
    });
    expect(result.spec.containers[0]!.ports).toEqual([
      { containerPort: 80, name: 'http', protocol: 'TCP' },
      { containerPort: 443 },
    ]);
  });

  it('merges primitive lists with the merge strategy (finalizers) as a union', () => {
    const result = smp({ metadata: { finalizers: ['c.example.com/z', 'a.example.com/x'] } });
    expect(result.metadata.finalizers).toEqual(['c.example.com/z', 'a.example.com/x', 'b.example.com/y']);
  });

  it('removes values from a primitive list with $deleteFromPrimitiveList', () => {
    const result = smp({ metadata: { '$deleteFromPrimitiveList/finalizers': ['a.example.com/x'] } });
    expect(result.metadata.finalizers).toEqual(['b.example.com/y']);
  });

  it('merges ownerReferences by uid and status conditions by type', () => {
    const result = smp({
      metadata: {
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true },
        ],
      },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    expect(result.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true },
    ]);
    expect(result.status.conditions).toEqual([
      { type: 'Ready', status: 'True' },
      { type: 'PodScheduled', status: 'True' },
    ]);
  });

  it('merges maps key by key and deletes keys set to null', () => {
    const result = smp({ metadata: { labels: { tier: null, env: 'prod' } } });
    expect(result.metadata.labels).toEqual({ app: 'web', env: 'prod' });
  });

  it('deletes a field set to null', () => {
    const result = smp({ spec: { tolerations: null, containers: [{ name: 'app', ports: null }] } });
    expect('tolerations' in result.spec).toBe(false);
    expect('ports' in result.spec.containers[0]!).toBe(false);
  });

  it('places new patch items after the live items they follow (normalizeElementOrder)', () => {
    const original = {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
    };
    const result = smp({ spec: { containers: [{ name: 'b', image: 'b2' }, { name: 'd' }] } }, original);
    expect(result.spec.containers).toEqual([
      { name: 'a' },
      { name: 'b', image: 'b2' },
      { name: 'd' },
      { name: 'c' },
    ]);
  });

  it('merges fields the schema does not know like JSON merge patch, replacing lists', () => {
    const original = { metadata: { name: 'p' }, custom: { a: 1, list: [1, 2] } };
    const result = smp({ custom: { b: 2, list: [3] } }, original) as unknown as { custom: unknown };
    expect(result.custom).toEqual({ a: 1, b: 2, list: [3] });
  });

  it('does not modify its inputs', () => {
    const original = livePod();
    const patch = { spec: { containers: [{ name: 'app', env: [{ name: 'A', $patch: 'delete' }] }] } };
    const patchCopy = structuredClone(patch);
    strategicMergePatch(original, patch, POD);
    expect(original).toEqual(livePod());
    expect(patch).toEqual(patchCopy);
  });
});

describe('strategicMergePatch: directives', () => {
  it('$setElementOrder orders a merge list, patch items and live items together', () => {
    const result = smp({
      spec: {
        '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }],
        containers: [{ name: 'app', image: 'app:2' }],
      },
    });
    expect(result.spec.containers.map((c) => `${c.name}=${c.image}`)).toEqual([
      'sidecar=sidecar:1',
      'app=app:2',
    ]);
  });

  it('$setElementOrder without the list itself reorders the live list', () => {
    const result = smp({
      spec: {
        containers: [{ name: 'app', '$setElementOrder/env': [{ name: 'C' }, { name: 'A' }, { name: 'B' }] }],
      },
    });
    expect(result.spec.containers[0]!.env!.map((e) => e.name)).toEqual(['C', 'A', 'B']);
  });

  it('$setElementOrder and $deleteFromPrimitiveList on a primitive list', () => {
    const original = { metadata: { name: 'p', finalizers: ['a', 'b', 'c', 'x'] } };
    const result = smp(
      {
        metadata: { '$setElementOrder/finalizers': ['c', 'a'], '$deleteFromPrimitiveList/finalizers': ['b'] },
      },
      original,
    );
    expect(result.metadata.finalizers).toEqual(['c', 'a', 'x']);
  });

  it('$patch: replace on a map replaces it', () => {
    const result = smp({ metadata: { labels: { $patch: 'replace', only: 'this' } } });
    expect(result.metadata.labels).toEqual({ only: 'this' });
  });

  it('$patch: delete on a map empties it', () => {
    const result = smp({ spec: { containers: [{ name: 'app', env: [] }] }, status: { $patch: 'delete' } });
    expect(result.status).toEqual({});
  });

  it('$patch: replace as a list element replaces the whole list', () => {
    const result = smp({ spec: { containers: [{ name: 'only', image: 'o:1' }, { $patch: 'replace' }] } });
    expect(result.spec.containers).toEqual([{ name: 'only', image: 'o:1' }]);
  });

  it('$retainKeys clears the keys it does not list (Deployment strategy to Recreate)', () => {
    const original = {
      metadata: { name: 'd' },
      spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } },
    };
    const result = value(
      strategicMergePatch(
        original,
        { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
        DEPLOYMENT,
      ),
    );
    expect(result).toEqual({ metadata: { name: 'd' }, spec: { strategy: { type: 'Recreate' } } });
  });

  it('$retainKeys inside a merged list element (switching a volume source)', () => {
    const result = smp({
      spec: { volumes: [{ name: 'data', $retainKeys: ['configMap', 'name'], configMap: { name: 'cfg' } }] },
    });
    expect(result.spec.volumes).toEqual([{ name: 'data', configMap: { name: 'cfg' } }]);
  });

  it('cleans directives out of values that are new to the original', () => {
    const original = { metadata: { name: 'p' }, spec: { containers: [{ name: 'app' }] } };
    const result = smp(
      {
        spec: {
          containers: [
            {
              name: 'app',
              '$setElementOrder/env': [{ name: 'A' }],
              env: [
                { name: 'A', value: '1' },
                { name: 'Z', $patch: 'delete' },
              ],
            },
          ],
        },
      },
      original,
    );
    expect(result.spec.containers).toEqual([{ name: 'app', env: [{ name: 'A', value: '1' }] }]);
  });
});

describe('strategicMergePatch: kubectl apply three-way patches', () => {
  // The patch real kubectl 1.32 sent for `kubectl apply` of a Deployment whose new manifest drops
  // `replicas`, container "b" and env var E1 and changes container "a"'s image (captured against
  // this module's OpenAPI v3 documents).
  const lastApplied = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { annotations: {}, name: 'web', namespace: 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              env: [
                { name: 'E1', value: '1' },
                { name: 'E2', value: '2' },
              ],
              image: 'nginx:1',
              name: 'a',
            },
            { image: 'busybox', name: 'b' },
          ],
        },
      },
    },
  };
  const live = {
    ...structuredClone(lastApplied),
    metadata: {
      name: 'web',
      namespace: 'default',
      resourceVersion: '7',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(lastApplied) },
    },
    status: { replicas: 2 },
  };
  const patch = {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}\n' } },
    spec: {
      replicas: null,
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'a' }],
          containers: [
            {
              '$setElementOrder/env': [{ name: 'E2' }],
              env: [{ $patch: 'delete', name: 'E1' }],
              image: 'nginx:2',
              name: 'a',
            },
            { $patch: 'delete', name: 'b' },
          ],
        },
      },
    },
  };

  it('removes what the manifest dropped and keeps what the server added', () => {
    const result = value(strategicMergePatch(live, patch, DEPLOYMENT)) as typeof live;
    expect(result.spec).toEqual({
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ env: [{ name: 'E2', value: '2' }], image: 'nginx:2', name: 'a' }] },
      },
    });
    expect(result.metadata.resourceVersion).toBe('7');
    expect(result.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toBe(
      '{"new":true}\n',
    );
    expect(result.status).toEqual({ replicas: 2 });
  });

  it('keeps containers the server or another client added, in live order', () => {
    const withInjected = structuredClone(live);
    withInjected.spec.template.spec.containers.push({ name: 'injected', image: 'mesh:1' } as never);
    const result = value(strategicMergePatch(withInjected, patch, DEPLOYMENT)) as typeof live;
    expect(result.spec.template.spec.containers.map((c) => c.name)).toEqual(['a', 'injected']);
  });

  it('kubectl scale / label style patches', () => {
    const scaled = value(strategicMergePatch(live, { spec: { replicas: 5 } }, DEPLOYMENT)) as typeof live;
    expect(scaled.spec.replicas).toBe(5);
    const labelled = value(
      strategicMergePatch(live, { metadata: { labels: { env: 'prod' } } }, DEPLOYMENT),
    ) as {
      metadata: { labels: Record<string, string> };
    };
    expect(labelled.metadata.labels).toEqual({ env: 'prod' });
  });
});

describe('strategicMergePatch: errors', () => {
  it('rejects an unknown $patch value on a map, with the field path', () => {
    expect(
      errorOf(strategicMergePatch(livePod(), { metadata: { labels: { $patch: 'explode' } } }, POD)),
    ).toMatchObject({
      code: 'BadDirective',
      path: 'metadata.labels',
    });
  });

  it('rejects $patch: merge and unknown directives in list elements', () => {
    expect(
      errorOf(
        strategicMergePatch(livePod(), { spec: { containers: [{ name: 'app', $patch: 'merge' }] } }, POD),
      ),
    ).toMatchObject({
      code: 'BadDirective',
      path: 'spec.containers[0]',
    });
    expect(
      errorOf(
        strategicMergePatch(livePod(), { spec: { containers: [{ name: 'app', $patch: 'nope' }] } }, POD),
      ).code,
    ).toBe('BadDirective');
  });

  it('rejects a list element without the merge key', () => {
    const error = errorOf(strategicMergePatch(livePod(), { spec: { containers: [{ image: 'x' }] } }, POD));
    expect(error).toMatchObject({ code: 'MissingMergeKey', path: 'spec.containers[0]' });
    expect(error.message).toContain('does not contain declared merge key: name');
    const nested = errorOf(
      strategicMergePatch(livePod(), { spec: { containers: [{ name: 'app', env: [{ value: 'x' }] }] } }, POD),
    );
    expect(nested).toMatchObject({ code: 'MissingMergeKey', path: 'spec.containers[0].env[0]' });
  });

  it('rejects a $patch: delete element without the merge key', () => {
    expect(
      errorOf(strategicMergePatch(livePod(), { spec: { containers: [{ $patch: 'delete' }] } }, POD)).code,
    ).toBe('MissingMergeKey');
  });

  it('rejects malformed $retainKeys, $setElementOrder and unknown $ keys', () => {
    const retain = errorOf(strategicMergePatch(livePod(), { spec: { $retainKeys: 'volumes' } }, POD));
    expect(retain).toMatchObject({ code: 'BadPatchFormat', path: 'spec' });
    const notRetained = errorOf(
      strategicMergePatch(livePod(), { spec: { $retainKeys: ['volumes'], hostname: 'h' } }, POD),
    );
    expect(notRetained.code).toBe('BadPatchFormat');
    const order = errorOf(
      strategicMergePatch(livePod(), { spec: { '$setElementOrder/containers': 'app' } }, POD),
    );
    expect(order.code).toBe('BadPatchFormat');
    const mismatch = errorOf(
      strategicMergePatch(
        livePod(),
        { spec: { '$setElementOrder/containers': [{ name: 'app' }], containers: [{ name: 'other' }] } },
        POD,
      ),
    );
    expect(mismatch).toMatchObject({ code: 'BadPatchFormat', path: 'spec.containers' });
    expect(errorOf(strategicMergePatch(livePod(), { spec: { $frob: 1 } }, POD)).code).toBe('BadDirective');
  });

  it('rejects a patch that is not an object', () => {
    expect(errorOf(strategicMergePatch(livePod(), [1], POD)).code).toBe('BadPatchFormat');
  });
});
