// Bad input of every kind, sent as raw HTTPS requests: each gets the Kubernetes status code, reason
// and message (with the field path where there is one), and none of them changes anything. After
// every case the whole API — every kind the server lists in discovery — reads back exactly as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../src-main/control-plane/apiserver/pki/ca';
import { issueClientCertificate } from '../src-main/control-plane/apiserver/pki/issue';
import { startTestControlPlane } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';
import { apiClient, statusOf } from './support/https-api';
import type { ApiClient, ApiResponse } from './support/https-api';

// Objects as the API returns them: arbitrary nested JSON that the assertions walk into.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const NS = 'bad-input';
const CM = `/api/v1/namespaces/${NS}/configmaps`;
const PODS = `/api/v1/namespaces/${NS}/pods`;
const DEPLOY = `/apis/apps/v1/namespaces/${NS}/deployments`;

let cp: TestControlPlane;
let api: ApiClient;

const configMap = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data: { k: 'v' },
  ...extra,
});

const pod = (name: string, container: Record<string, unknown> = { name: 'c', image: 'busybox:1.36' }) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [container] },
});

const deployment = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] },
    },
    ...spec,
  },
});

// ------------------------------------------------------------------------------------ the snapshot

interface DiscoveredList {
  path: string;
}

/** Every listable resource, found the way a client finds them: through discovery. */
async function discoverLists(): Promise<DiscoveredList[]> {
  const lists: DiscoveredList[] = [];
  const resourcesOf = async (base: string) => {
    const r = (await api.get(base)).json as { resources: { name: string; verbs: string[] }[] };
    for (const res of r.resources) {
      if (!res.name.includes('/') && res.verbs.includes('list')) lists.push({ path: `${base}/${res.name}` });
    }
  };
  await resourcesOf('/api/v1');
  const groups = (await api.get('/apis')).json as {
    groups: { preferredVersion: { groupVersion: string } }[];
  };
  for (const g of groups.groups) await resourcesOf(`/apis/${g.preferredVersion.groupVersion}`);
  return lists;
}

let lists: DiscoveredList[];

/** Every object of every kind, by path, as the API returns it (resourceVersion included). */
async function snapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const pages = await Promise.all(lists.map(async (l) => ({ l, res: await api.get(l.path) })));
  for (const { l, res } of pages) {
    expect(res.status, `list ${l.path}`).toBe(200);
    const body = res.json as { items: { metadata: { name: string; namespace?: string } }[] };
    for (const item of body.items) {
      out[`${l.path}/${item.metadata.namespace ?? ''}/${item.metadata.name}`] = JSON.stringify(item);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------- the cases

interface BadCase {
  name: string;
  send: () => Promise<ApiResponse>;
  code: number;
  reason: string;
  message: RegExp;
  /** Field paths that must appear in details.causes. */
  fields?: string[];
}

const post = (path: string, body: unknown, contentType?: string) =>
  api.request('POST', path, { body, ...(contentType ? { contentType } : {}) });
const put = (path: string, body: unknown) => api.request('PUT', path, { body });
const patch = (path: string, body: unknown, contentType: string) =>
  api.request('PATCH', path, { body, contentType });

const cases: BadCase[] = [
  // ---- bodies that are not objects
  {
    name: 'malformed JSON names the line and column',
    send: () => post(CM, '{\n  "apiVersion": "v1",\n  "kind": "ConfigMap",,\n  "metadata": {"name": "x"}\n}'),
    code: 400,
    reason: 'BadRequest',
    message: /^the request body is not valid JSON: .* at line 3, column 23$/,
  },
  {
    name: 'malformed YAML body',
    send: () =>
      post(CM, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n', 'application/yaml'),
    code: 400,
    reason: 'BadRequest',
    message: /^the request body is not valid YAML: .* at line \d+, column \d+:.*name: \[unclosed/s,
  },
  {
    name: 'empty body',
    send: () => post(CM, ''),
    code: 400,
    reason: 'BadRequest',
    message: /empty/,
  },
  {
    name: 'an array body',
    send: () => post(CM, [configMap('in-array')]),
    code: 400,
    reason: 'BadRequest',
    message: /array/,
  },
  {
    name: 'a JSON string body',
    send: () => post(CM, '"just a string"'),
    code: 400,
    reason: 'BadRequest',
    message: /string/,
  },
  {
    name: 'metadata that is not an object',
    send: () => post(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: 'cm-name' }),
    code: 400,
    reason: 'BadRequest',
    message: /metadata/,
  },
  // ---- the wrong kind or version for the URL
  {
    name: 'a Secret posted to the configmaps URL',
    send: () => post(CM, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'wrong-kind' } }),
    code: 400,
    reason: 'BadRequest',
    message: /Secret.*ConfigMap|ConfigMap.*Secret/,
  },
  {
    name: 'an unknown apiVersion in the body',
    send: () => post(CM, { ...configMap('wrong-version'), apiVersion: 'v2' }),
    code: 400,
    reason: 'BadRequest',
    message: /v2/,
  },
  {
    name: 'a Deployment with apiVersion extensions/v1beta1',
    send: () => post(DEPLOY, { ...deployment('old-api'), apiVersion: 'extensions/v1beta1' }),
    code: 400,
    reason: 'BadRequest',
    message: /extensions\/v1beta1/,
  },
  // ---- paths that do not exist
  {
    name: 'an unknown resource',
    send: () => api.get(`/api/v1/namespaces/${NS}/widgets`),
    code: 404,
    reason: 'NotFound',
    message: /the server could not find the requested resource/,
  },
  {
    name: 'an unknown API group',
    send: () => api.get('/apis/nope.example.com/v1/things'),
    code: 404,
    reason: 'NotFound',
    message: /the server could not find the requested resource/,
  },
  {
    name: 'an unknown subresource',
    send: () => api.get(`${DEPLOY}/existing/frobnicate`),
    code: 404,
    reason: 'NotFound',
    message: /the server could not find the requested resource/,
  },
  {
    name: 'POST to an object URL',
    send: () => post(`${CM}/existing`, configMap('existing')),
    code: 405,
    reason: 'MethodNotAllowed',
    message: /not allow/,
  },
  // ---- wrong types
  {
    name: 'spec.replicas: "three"',
    send: () => post(DEPLOY, deployment('typed', { replicas: 'three' })),
    code: 400,
    reason: 'BadRequest',
    message: /spec\.replicas/,
  },
  {
    name: 'containers as an object instead of a list',
    send: () =>
      post(PODS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'containers-object' },
        spec: { containers: { name: 'c', image: 'busybox:1.36' } },
      }),
    code: 400,
    reason: 'BadRequest',
    message: /spec\.containers/,
  },
  {
    name: 'a label value that is a number',
    send: () =>
      post(CM, configMap('numeric-label', { metadata: { name: 'numeric-label', labels: { n: 1 } } })),
    code: 400,
    reason: 'BadRequest',
    message: /metadata\.labels/,
  },
  {
    name: 'Secret data that is not base64',
    send: () =>
      post(`/api/v1/namespaces/${NS}/secrets`, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'not-base64' },
        data: { password: 'this is not base64!' },
      }),
    code: 400,
    reason: 'BadRequest',
    message: /base64/,
  },
  // ---- validation (422 Invalid with field paths)
  {
    name: 'a container without an image',
    send: () => post(PODS, pod('no-image', { name: 'c' })),
    code: 422,
    reason: 'Invalid',
    message: /^Pod "no-image" is invalid: spec\.containers\[0\]\.image: Required value/,
    fields: ['spec.containers[0].image'],
  },
  {
    name: 'an object without a name',
    send: () => post(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }),
    code: 422,
    reason: 'Invalid',
    message: /metadata\.name: Required value/,
    fields: ['metadata.name'],
  },
  {
    name: 'an uppercase name',
    send: () => post(CM, configMap('Bad_Name')),
    code: 422,
    reason: 'Invalid',
    message:
      /^ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/,
    fields: ['metadata.name'],
  },
  {
    name: 'a name longer than 253 characters',
    send: () => post(CM, configMap('a'.repeat(254))),
    code: 422,
    reason: 'Invalid',
    message: /metadata\.name: Invalid value: "a{254}": must be no more than 253 characters/,
    fields: ['metadata.name'],
  },
  {
    name: 'a namespace name longer than 63 characters',
    send: () =>
      post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n'.repeat(64) } }),
    code: 422,
    reason: 'Invalid',
    message: /metadata\.name: Invalid value: "n{64}": must be no more than 63 characters/,
    fields: ['metadata.name'],
  },
  {
    name: 'an invalid label key and value',
    send: () =>
      post(
        CM,
        configMap('bad-labels', {
          metadata: { name: 'bad-labels', labels: { 'bad key!': 'ok', good: '-bad-' } },
        }),
      ),
    code: 422,
    reason: 'Invalid',
    message: /metadata\.labels: Invalid value: "bad key!".*metadata\.labels: Invalid value: "-bad-"/s,
    fields: ['metadata.labels'],
  },
  {
    name: 'a service port out of range',
    send: () =>
      post(`/api/v1/namespaces/${NS}/services`, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'bad-port' },
        spec: { ports: [{ port: 70000 }] },
      }),
    code: 422,
    reason: 'Invalid',
    message: /spec\.ports\[0\]\.port: Invalid value: 70000/,
    fields: ['spec.ports[0].port'],
  },
  {
    name: 'a deployment whose selector does not match its template',
    send: () => post(DEPLOY, deployment('mismatch', { selector: { matchLabels: { app: 'other' } } })),
    code: 422,
    reason: 'Invalid',
    message:
      /^Deployment\.apps "mismatch" is invalid: spec\.template\.metadata\.labels: Invalid value: .*: `selector` does not match template `labels`$/,
    fields: ['spec.template.metadata.labels'],
  },
  {
    name: 'changing an immutable field (deployment selector)',
    send: () =>
      patch(
        `${DEPLOY}/existing`,
        {
          spec: {
            selector: { matchLabels: { app: 'changed' } },
            template: { metadata: { labels: { app: 'changed' } } },
          },
        },
        'application/merge-patch+json',
      ),
    code: 422,
    reason: 'Invalid',
    message: /spec\.selector: Invalid value: .*field is immutable/,
    fields: ['spec.selector'],
  },
  {
    name: 'dry-run of an invalid object',
    send: () => post(`${PODS}?dryRun=All`, pod('dry-invalid', { name: 'c' })),
    code: 422,
    reason: 'Invalid',
    message: /spec\.containers\[0\]\.image: Required value/,
    fields: ['spec.containers[0].image'],
  },
  // ---- fieldValidation
  {
    name: 'an unknown field with fieldValidation=Strict',
    send: () => post(`${CM}?fieldValidation=Strict`, configMap('strict', { spec: { bogus: true } })),
    code: 400,
    reason: 'BadRequest',
    message: /^strict decoding error: unknown field "spec"/,
  },
  {
    name: 'a nested unknown field with fieldValidation=Strict',
    send: () => post(`${DEPLOY}?fieldValidation=Strict`, deployment('strict-nested', { replicaz: 3 })),
    code: 400,
    reason: 'BadRequest',
    message: /^strict decoding error: unknown field "spec\.replicaz"/,
  },
  {
    name: 'an unknown fieldValidation value',
    send: () => post(`${CM}?fieldValidation=Loud`, configMap('loud')),
    code: 400,
    reason: 'BadRequest',
    message: /fieldValidation/,
  },
  {
    name: 'an unknown dryRun value',
    send: () => post(`${CM}?dryRun=Maybe`, configMap('maybe')),
    code: 400,
    reason: 'BadRequest',
    message: /dryRun/,
  },
  // ---- body vs URL
  {
    name: 'a namespace in the body different from the URL',
    send: () => post(CM, configMap('elsewhere', { metadata: { name: 'elsewhere', namespace: 'default' } })),
    code: 400,
    reason: 'BadRequest',
    message: /the namespace of the provided object.*does not match the namespace sent on the request/,
  },
  {
    name: 'a name in the body different from the URL on PUT',
    send: () => put(`${CM}/existing`, configMap('not-existing')),
    code: 400,
    reason: 'BadRequest',
    message: /^the name of the object \(not-existing\) does not match the name on the URL \(existing\)$/,
  },
  // ---- conflicts and missing objects
  {
    name: 'PUT with a stale resourceVersion',
    send: () =>
      put(
        `${CM}/existing`,
        configMap('existing', { metadata: { name: 'existing', resourceVersion: '1' }, data: { k: 'stale' } }),
      ),
    code: 409,
    reason: 'Conflict',
    message:
      /^Operation cannot be fulfilled on configmaps "existing": the object has been modified; please apply your changes to the latest version and try again$/,
  },
  {
    name: 'creating an object that exists',
    send: () => post(CM, configMap('existing')),
    code: 409,
    reason: 'AlreadyExists',
    message: /^configmaps "existing" already exists$/,
  },
  {
    name: 'creating in a namespace that does not exist',
    send: () => post('/api/v1/namespaces/no-such-ns/configmaps', configMap('orphan')),
    code: 404,
    reason: 'NotFound',
    message: /^namespaces "no-such-ns" not found$/,
  },
  {
    name: 'updating an object that does not exist',
    send: () => put(`${CM}/missing`, configMap('missing')),
    code: 404,
    reason: 'NotFound',
    message: /^configmaps "missing" not found$/,
  },
  {
    name: 'patching an object that does not exist',
    send: () => patch(`${CM}/missing`, { data: { a: 'b' } }, 'application/merge-patch+json'),
    code: 404,
    reason: 'NotFound',
    message: /^configmaps "missing" not found$/,
  },
  {
    name: 'deleting an object that does not exist',
    send: () => api.request('DELETE', `${CM}/missing`),
    code: 404,
    reason: 'NotFound',
    message: /^configmaps "missing" not found$/,
  },
  {
    name: 'delete with a stale resourceVersion precondition',
    send: () =>
      api.request('DELETE', `${CM}/existing`, {
        body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: '1' } },
      }),
    code: 409,
    reason: 'Conflict',
    message: /Precondition failed: ResourceVersion in precondition: 1/,
  },
  {
    name: 'delete with an unknown propagationPolicy',
    send: () => api.request('DELETE', `${CM}/existing?propagationPolicy=Sideways`),
    code: 422,
    reason: 'Invalid',
    message: /propagationPolicy: Unsupported value: "Sideways"/,
    fields: ['propagationPolicy'],
  },
  {
    name: 'deleting the default namespace',
    send: () => api.request('DELETE', '/api/v1/namespaces/default'),
    code: 403,
    reason: 'Forbidden',
    message: /namespace "default" is forbidden/,
  },
  // ---- size limit
  {
    name: 'a body larger than 3 MiB',
    send: () => post(CM, configMap('huge', { data: { blob: 'x'.repeat(3.5 * 1024 * 1024) } })),
    code: 413,
    reason: 'RequestEntityTooLarge',
    message: /limit/,
  },
  // ---- list options
  {
    name: 'a label selector that does not parse',
    send: () => api.get(`${CM}?labelSelector=${encodeURIComponent('app in (web')}`),
    code: 400,
    reason: 'BadRequest',
    message: /app in \(web|unable to parse requirement/,
  },
  {
    name: 'a label selector with an invalid value',
    send: () => api.get(`${CM}?labelSelector=${encodeURIComponent('app=-bad-')}`),
    code: 400,
    reason: 'BadRequest',
    message: /-bad-/,
  },
  {
    name: 'a field selector on an unsupported field',
    send: () => api.get(`${PODS}?fieldSelector=${encodeURIComponent('spec.image=busybox')}`),
    code: 400,
    reason: 'BadRequest',
    message: /field label not supported: spec\.image/,
  },
  {
    name: 'a limit that is not a number',
    send: () => api.get(`${CM}?limit=ten`),
    code: 400,
    reason: 'BadRequest',
    message: /limit/,
  },
  {
    name: 'a continue token that is not one',
    send: () => api.get(`${CM}?limit=1&continue=not-a-token`),
    code: 400,
    reason: 'BadRequest',
    message: /continue/,
  },
  {
    name: 'a continue token from another list',
    send: async () => {
      const first = (await api.get(`/api/v1/namespaces?limit=1`)).json as { metadata: { continue?: string } };
      expect(first.metadata.continue).toBeTruthy();
      return api.get(`${CM}?limit=1&continue=${encodeURIComponent(first.metadata.continue!)}`);
    },
    code: 400,
    reason: 'BadRequest',
    message: /continue/,
  },
  {
    name: 'a list at a resourceVersion newer than the store',
    send: () => api.get(`${CM}?resourceVersion=999999999`, { timeoutMs: 10_000 }),
    code: 504,
    reason: 'Timeout',
    message: /^Too large resource version: 999999999, current: \d+$/,
  },
  {
    name: 'a resourceVersion that is not a number',
    send: () => api.get(`${CM}?resourceVersion=abc`),
    code: 400,
    reason: 'BadRequest',
    message: /resourceVersion/,
  },
  // ---- patches
  {
    name: 'a JSON patch whose test operation fails',
    send: () =>
      patch(
        `${CM}/existing`,
        [
          { op: 'test', path: '/data/k', value: 'not-the-value' },
          { op: 'replace', path: '/data/k', value: 'changed' },
        ],
        'application/json-patch+json',
      ),
    code: 422,
    reason: 'Invalid',
    message: /test/i,
  },
  {
    name: 'a JSON patch that is not a list of operations',
    send: () =>
      patch(`${CM}/existing`, { op: 'replace', path: '/data/k', value: 'x' }, 'application/json-patch+json'),
    code: 400,
    reason: 'BadRequest',
    message: /patch/i,
  },
  {
    name: 'a JSON patch removing a path that does not exist',
    send: () =>
      patch(`${CM}/existing`, [{ op: 'remove', path: '/data/nothing-here' }], 'application/json-patch+json'),
    code: 422,
    reason: 'Invalid',
    message: /nothing-here|remove/,
  },
  {
    name: 'a merge patch that is not an object',
    send: () => patch(`${CM}/existing`, [1, 2, 3], 'application/merge-patch+json'),
    code: 400,
    reason: 'BadRequest',
    message: /patch/i,
  },
  {
    name: 'a merge patch that is not JSON',
    send: () => patch(`${CM}/existing`, '{"data": ', 'application/merge-patch+json'),
    code: 400,
    reason: 'BadRequest',
    message: /JSON/,
  },
  {
    name: 'a strategic merge patch with an unknown $patch directive',
    send: () =>
      patch(
        `${DEPLOY}/existing`,
        { spec: { template: { spec: { containers: [{ name: 'c', $patch: 'explode' }] } } } },
        'application/strategic-merge-patch+json',
      ),
    code: 400,
    reason: 'BadRequest',
    message: /\$patch|explode/,
  },
  {
    name: 'a patch that changes the name',
    send: () => patch(`${CM}/existing`, { metadata: { name: 'renamed' } }, 'application/merge-patch+json'),
    code: 400,
    reason: 'BadRequest',
    message: /name/,
  },
  {
    name: 'a patch with an unsupported content type',
    send: () => patch(`${CM}/existing`, { data: { a: 'b' } }, 'application/json'),
    code: 415,
    reason: 'UnsupportedMediaType',
    message: /application\/json/,
  },
  {
    name: 'a create with an unsupported content type',
    send: () => post(CM, 'name=x', 'text/plain'),
    code: 415,
    reason: 'UnsupportedMediaType',
    message: /text\/plain/,
  },
  {
    name: 'a patch that makes the object invalid',
    send: () =>
      patch(
        `${DEPLOY}/existing`,
        { spec: { template: { spec: { containers: [{ name: 'c', image: '' }] } } } },
        'application/strategic-merge-patch+json',
      ),
    code: 422,
    reason: 'Invalid',
    message: /spec\.template\.spec\.containers\[0\]\.image: Required value/,
    fields: ['spec.template.spec.containers[0].image'],
  },
];

describe('bad input to the API server', () => {
  let clean: Record<string, string>;

  beforeAll(async () => {
    cp = await startTestControlPlane();
    api = await apiClient(cp.kubeconfigPath);
    // The valid setup: a namespace with a ConfigMap and a Deployment the bad updates aim at.
    const setup = [
      post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }),
    ];
    expect((await setup[0]!).status).toBe(201);
    expect((await post(CM, configMap('existing'))).status).toBe(201);
    expect((await post(DEPLOY, deployment('existing'))).status).toBe(201);
    lists = await discoverLists();
    expect(lists.length).toBeGreaterThanOrEqual(14);
    clean = await snapshot();
    expect(Object.keys(clean)).toContain(`${CM.replace(`/namespaces/${NS}`, '')}/${NS}/existing`);
  });

  afterAll(async () => {
    api?.close();
    await cp?.dispose();
  });

  it(`covers at least 30 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  for (const c of cases) {
    it(`${c.name} → ${c.code} ${c.reason}`, async () => {
      const res = await c.send();
      const status = statusOf(res);
      expect({ http: res.status, code: status.code, reason: status.reason, status: status.status }).toEqual({
        http: c.code,
        code: c.code,
        reason: c.reason,
        status: 'Failure',
      });
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(status.message).toMatch(c.message);
      for (const field of c.fields ?? []) {
        expect(
          status.details?.causes?.map((x) => x.field),
          `causes of: ${status.message}`,
        ).toContain(field);
      }
      // Nothing changed anywhere.
      expect(await snapshot()).toEqual(clean);
    });
  }

  it('a watch from a resourceVersion newer than the store → 504 Timeout "Too large resource version"', async () => {
    const current = Number(
      ((await api.get(CM)).json as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
    );
    const path = `${CM}?watch=1&resourceVersion=${current + 1_000_000}&timeoutSeconds=5`;
    const res = await api.get(path, { timeoutMs: 10_000 });
    // Kubernetes answers either directly or, once the watch is established, with an ERROR event.
    const body: unknown =
      res.status === 200
        ? (JSON.parse(res.text.split('\n')[0]!) as { type: string; object: unknown }).object
        : res.json;
    expect(body).toMatchObject({ kind: 'Status', code: 504, reason: 'Timeout' });
    expect((body as { message: string }).message).toMatch(/Too large resource version/);
    expect(await snapshot()).toEqual(clean);
  });

  describe('authentication', () => {
    it('no credentials → 401 Unauthorized', async () => {
      const res = await api.get(CM, { clientCert: null });
      expect(res.status).toBe(401);
      expect(statusOf(res)).toMatchObject({ code: 401, reason: 'Unauthorized', message: 'Unauthorized' });
      const write = await api.request('POST', CM, { body: configMap('anonymous'), clientCert: null });
      expect(write.status).toBe(401);
      expect(await snapshot()).toEqual(clean);
    });

    it('a client certificate from a foreign CA → 401, even naming the admin', async () => {
      const foreignCa = await createCertificateAuthority({ commonName: 'someone-else' });
      const cert = await issueClientCertificate(foreignCa, {
        commonName: 'flotilla-admin',
        organizations: ['system:masters'],
      });
      const res = await api.get(CM, { clientCert: cert });
      expect(res.status).toBe(401);
      expect(statusOf(res)).toMatchObject({ code: 401, reason: 'Unauthorized' });
      const write = await api.request('POST', CM, { body: configMap('foreign'), clientCert: cert });
      expect(write.status).toBe(401);
      expect(await snapshot()).toEqual(clean);
    });

    it('a bearer token that is not one → 401', async () => {
      const res = await api.get(CM, {
        clientCert: null,
        headers: { Authorization: 'Bearer not-a-real-token' },
      });
      expect(res.status).toBe(401);
      expect(statusOf(res).reason).toBe('Unauthorized');
    });

    it('health endpoints need no credentials', async () => {
      const res = await api.get('/healthz', { clientCert: null });
      expect(res.status).toBe(200);
      expect(res.text).toBe('ok');
    });
  });

  describe('unknown fields that are accepted', () => {
    it('fieldValidation=Warn (the default) stores the object without the field and says so in a Warning header', async () => {
      for (const query of ['?fieldValidation=Warn', '']) {
        const name = `warned${query ? '-explicit' : '-default'}`;
        const res = await post(
          `${CM}${query}`,
          configMap(name, { bogus: 1, metadata: { name, colour: 'red' } }),
        );
        expect(res.status).toBe(201);
        const warning = String(res.headers.warning ?? '');
        expect(warning).toContain('299 - "unknown field \\"bogus\\""');
        expect(warning).toContain('299 - "unknown field \\"metadata.colour\\""');
        const stored = (await api.get(`${CM}/${name}`)).json as Json;
        expect(stored.bogus).toBeUndefined();
        expect(stored.metadata.colour).toBeUndefined();
        expect(stored.data).toEqual({ k: 'v' });
      }
    });

    it('fieldValidation=Ignore stores the object without the field and without a warning', async () => {
      const res = await post(`${CM}?fieldValidation=Ignore`, configMap('ignored', { bogus: 1 }));
      expect(res.status).toBe(201);
      expect(res.headers.warning).toBeUndefined();
      const stored = (await api.get(`${CM}/ignored`)).json as Json;
      expect(stored.bogus).toBeUndefined();
    });
  });

  describe('afterwards', () => {
    it('the server is healthy and still serves valid requests', async () => {
      expect((await api.get('/healthz')).text).toBe('ok');
      expect((await api.get('/readyz')).text).toBe('ok');
      const created = await post(CM, configMap('after-all'));
      expect(created.status).toBe(201);
      const existing = (await api.get(`${CM}/existing`)).json as Json;
      expect(existing.data).toEqual({ k: 'v' });
      const d = (await api.get(`${DEPLOY}/existing`)).json as Json;
      expect(d.spec.template.spec.containers).toEqual([
        expect.objectContaining({ name: 'c', image: 'busybox:1.36' }),
      ]);
    });
  });
});
