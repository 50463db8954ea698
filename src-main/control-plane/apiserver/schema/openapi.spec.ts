import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../shared/resources';
import {
  openApiV2,
  openApiV2Serialized,
  openApiV3GroupVersion,
  openApiV3Index,
  openApiV3Keys,
  openApiV3KeyForApiVersion,
  openApiV3Serialized,
} from './openapi';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

const GV_KEYS = [
  ...new Set(RESOURCES.map((r) => (r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`))),
];

describe('openApiV3Index', () => {
  it('lists every served group version and the discovery roots, with content hashes', () => {
    const index = openApiV3Index() as Json;
    const keys = Object.keys(index.paths);
    for (const key of [...GV_KEYS, 'api', 'apis', 'apis/apps']) expect(keys).toContain(key);
    for (const key of keys) {
      const serialized = openApiV3Serialized(key)!;
      expect(index.paths[key].serverRelativeURL).toBe(`/openapi/v3/${key}?hash=${serialized.hash}`);
      expect(serialized.hash).toBe(createHash('sha512').update(serialized.json).digest('hex').toUpperCase());
    }
    expect(openApiV3Keys()).toEqual([...keys].sort());
  });

  it('is built once and cached', () => {
    expect(openApiV3Index()).toBe(openApiV3Index());
    expect(openApiV3GroupVersion('api/v1')).toBe(openApiV3GroupVersion('/openapi/v3/api/v1'));
    expect(openApiV2()).toBe(openApiV2());
  });
});

describe('openApiV3GroupVersion', () => {
  it('returns undefined for a group version that is not served', () => {
    expect(openApiV3GroupVersion('apis/batch/v1')).toBeUndefined();
    expect(openApiV3Serialized('apis/nope/v1')).toBeUndefined();
  });

  it.each(GV_KEYS)('%s is a self-contained OpenAPI 3.0 document', (key) => {
    const doc = openApiV3GroupVersion(key) as Json;
    expect(doc.openapi).toBe('3.0.0');
    expect(JSON.parse(openApiV3Serialized(key)!.json)).toEqual(doc);
    const schemas = doc.components.schemas as Json;
    for (const ref of refsIn(doc)) {
      expect(ref.startsWith('#/components/schemas/'), ref).toBe(true);
      expect(schemas[ref.slice('#/components/schemas/'.length)], ref).toBeDefined();
    }
  });

  it.each(RESOURCES.map((r) => [r.plural, r] as const))(
    '%s can be explained and validated server-side by kubectl',
    (_plural, r) => {
      const doc = openApiV3GroupVersion(
        openApiV3KeyForApiVersion(r.group ? `${r.group}/${r.version}` : r.version),
      ) as Json;
      const gvk = { group: r.group, version: r.version, kind: r.kind };
      // kubectl explain: the GVK comes from the collection path's operations...
      const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
      const collection = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}` : `${base}/${r.plural}`;
      expect(doc.paths[collection].get['x-kubernetes-group-version-kind']).toEqual(gvk);
      expect(doc.paths[`${base}/${r.plural}`].get['x-kubernetes-group-version-kind']).toEqual(gvk);
      // ...then the schema whose x-kubernetes-group-version-kind list contains it.
      const matches = Object.values(doc.components.schemas as Json).filter((s: Json) =>
        (s['x-kubernetes-group-version-kind'] ?? []).some(
          (g: Json) => g.group === r.group && g.version === r.version && g.kind === r.kind,
        ),
      );
      expect(matches).toHaveLength(1);
      expect(matches[0].properties.metadata).toBeDefined();
      // kubectl create/apply send fieldValidation only if every PATCH for the GVK lists it.
      const patches = Object.values(doc.paths as Json)
        .map((item: Json) => item.patch)
        .filter((op: Json | undefined) => op && op['x-kubernetes-group-version-kind'].kind === r.kind);
      expect(patches.length).toBeGreaterThan(0);
      for (const op of patches) {
        const names = op.parameters.map((p: Json) => p.name);
        expect(names).toEqual(expect.arrayContaining(['fieldValidation', 'dryRun', 'fieldManager']));
        expect(Object.keys(op.requestBody.content)).toContain('application/strategic-merge-patch+json');
      }
    },
  );

  it('renders fields that reference types the way Kubernetes v3 does', () => {
    const doc = openApiV3GroupVersion('apis/apps/v1') as Json;
    const schemas = doc.components.schemas;
    const deployment = schemas['io.k8s.api.apps.v1.Deployment'];
    expect(deployment['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
    expect(deployment.properties.metadata.allOf).toEqual([
      { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
    ]);
    expect(deployment.properties.metadata.description).toMatch(/^Standard object's metadata/);
    const podSpec = schemas['io.k8s.api.core.v1.PodSpec'];
    expect(podSpec.properties.containers.items).toEqual({
      $ref: '#/components/schemas/io.k8s.api.core.v1.Container',
    });
    expect(podSpec.properties.containers['x-kubernetes-patch-merge-key']).toBe('name');
    expect(schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({
      format: 'int-or-string',
      'x-kubernetes-int-or-string': true,
    });
    expect(schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].type).toBeUndefined();
    expect(schemas['io.k8s.api.autoscaling.v1.Scale']['x-kubernetes-group-version-kind']).toEqual([
      { group: 'autoscaling', version: 'v1', kind: 'Scale' },
    ]);
    expect(
      doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch[
        'x-kubernetes-group-version-kind'
      ],
    ).toEqual({
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
    });
    // Only what apps/v1 reaches: no Service, no Lease.
    expect(schemas['io.k8s.api.core.v1.Service']).toBeUndefined();
    expect(schemas['io.k8s.api.coordination.v1.Lease']).toBeUndefined();
  });

  it('serves the discovery roots', () => {
    const api = openApiV3GroupVersion('api') as Json;
    expect(api.paths['/api/'].get.responses['200'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions',
    );
    const apis = openApiV3GroupVersion('apis') as Json;
    expect(apis.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.APIGroupList']).toBeDefined();
  });
});

describe('openApiV2', () => {
  it('is a Swagger 2.0 document with every definition and the resource paths', () => {
    const doc = openApiV2() as Json;
    expect(doc.swagger).toBe('2.0');
    expect(doc.definitions['io.k8s.api.core.v1.Pod']).toBeDefined();
    expect(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch.consumes).toContain(
      'application/strategic-merge-patch+json',
    );
    for (const ref of refsIn(doc)) {
      expect(ref.startsWith('#/definitions/'), ref).toBe(true);
      expect(doc.definitions[ref.slice('#/definitions/'.length)], ref).toBeDefined();
    }
    const serialized = openApiV2Serialized();
    expect(JSON.parse(serialized.json)).toEqual(doc);
    expect(serialized.hash).toMatch(/^[0-9A-F]{128}$/);
  });
});
