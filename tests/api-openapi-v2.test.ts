// GET /openapi/v2 in both representations, and the kubectl paths that need the protobuf one: kubectl
// validates client-side whenever server-side field validation is not available for a kind — always
// for `kind: List` — and for that it fetches the v2 document as gnostic's protobuf.
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKubeconfig } from '../src-main/control-plane/apiserver/pki/kubeconfig';
import type { KubeconfigCredentials } from '../src-main/control-plane/apiserver/pki/kubeconfig';
import { openApiV2Serialized } from '../src-main/control-plane/apiserver/schema/openapi';
import {
  OPENAPI_V2_PROTOBUF,
  OPENAPI_V2_PROTOBUF_DEPRECATED,
  openApiV2Protobuf,
} from '../src-main/control-plane/apiserver/schema/openapi-v2-proto';
import { startTestControlPlane } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';
import { kubectlRunner } from './support/kubectl';
import type { KubectlResult } from './support/kubectl';
import { requireTool } from './support/tools';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const tool = requireTool(process.env.FLOTILLA_KUBECTL ?? 'kubectl', 'apt-get install -y kubernetes-client');

let cp: TestControlPlane;
let creds: KubeconfigCredentials;
let cacheDir: string;
let run: ReturnType<typeof kubectlRunner>;

/** A raw GET that keeps the body as bytes (the shared API helper decodes bodies as UTF-8 text). */
function get(
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  const server = new URL(creds.server);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: server.hostname,
        port: server.port,
        path,
        headers,
        ca: creds.caPem,
        cert: creds.certPem,
        key: creds.keyPem,
        agent: false,
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no response`)));
    req.on('error', reject);
    req.end();
  });
}

function kubectl(args: string[], input?: string): Promise<KubectlResult> {
  return run(['--cache-dir', cacheDir, ...args], input !== undefined ? { input } : {});
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** kubectl get that reports absence as undefined rather than failing. */
async function getObject(args: string[]): Promise<Json | undefined> {
  const r = await kubectl(['get', ...args, '-o', 'json', '--ignore-not-found']);
  if (r.code !== 0) throw new Error(`kubectl get ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout.trim() ? (JSON.parse(r.stdout) as Json) : undefined;
}

function list(items: object[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

const configMap = (name: string, ns: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data: { key: name },
});

const deployment = (name: string, ns: string, extraSpec: Json = {}, extraContainer: Json = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'web', image: 'busybox:1', ...extraContainer }] },
    },
    ...extraSpec,
  },
});

beforeAll(async () => {
  cp = await startTestControlPlane();
  creds = await readKubeconfig(cp.kubeconfigPath);
  cacheDir = await mkdtemp(join(tmpdir(), 'flotilla-kubectl-cache-'));
  if (tool.path) run = kubectlRunner(tool.path, cp.kubeconfigPath);
});
afterAll(async () => {
  await cp?.dispose();
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

describe('GET /openapi/v2', () => {
  it.each([OPENAPI_V2_PROTOBUF_DEPRECATED, OPENAPI_V2_PROTOBUF])(
    'serves the gnostic protobuf for Accept: %s',
    async (accept) => {
      const res = await get('/openapi/v2', { Accept: accept });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(OPENAPI_V2_PROTOBUF);
      expect(res.headers.vary).toBe('Accept');
      const expected = openApiV2Protobuf(openApiV2Serialized());
      expect(res.headers.etag).toBe(`"${expected.hash}"`);
      expect(Number(res.headers['content-length'])).toBe(res.body.length);
      expect(res.body.equals(Buffer.from(expected.bytes))).toBe(true);
      // Document.swagger (field 1, length-delimited) comes first: 0x0a, 3, "2.0".
      expect(res.body.subarray(0, 5).toString('latin1')).toBe('\n\x032.0');
    },
  );

  it('serves JSON to JSON, wildcard and missing Accept headers', async () => {
    const variants: Record<string, string>[] = [{ Accept: 'application/json' }, { Accept: '*/*' }, {}];
    for (const headers of variants) {
      const res = await get('/openapi/v2', headers);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.headers.etag).toBe(`"${openApiV2Serialized().hash}"`);
      expect((JSON.parse(res.body.toString('utf8')) as Json).swagger).toBe('2.0');
    }
  });

  it('revalidates each representation against its own ETag', async () => {
    const pb = await get('/openapi/v2', { Accept: OPENAPI_V2_PROTOBUF_DEPRECATED });
    const json = await get('/openapi/v2', { Accept: 'application/json' });
    expect(pb.headers.etag).not.toBe(json.headers.etag);

    const pb304 = await get('/openapi/v2', {
      Accept: OPENAPI_V2_PROTOBUF_DEPRECATED,
      'If-None-Match': pb.headers.etag!,
    });
    expect(pb304.status).toBe(304);
    expect(pb304.body.length).toBe(0);
    // The JSON copy's ETag does not validate the protobuf representation, nor the other way round.
    const pbWithJsonTag = await get('/openapi/v2', {
      Accept: OPENAPI_V2_PROTOBUF_DEPRECATED,
      'If-None-Match': json.headers.etag!,
    });
    expect(pbWithJsonTag.status).toBe(200);
    expect(pbWithJsonTag.body.length).toBe(pb.body.length);
    const jsonWithPbTag = await get('/openapi/v2', {
      Accept: 'application/json',
      'If-None-Match': pb.headers.etag!,
    });
    expect(jsonWithPbTag.status).toBe(200);
  });

  it('answers 406 with a Status when no served representation is acceptable', async () => {
    const res = await get('/openapi/v2', { Accept: 'text/html' });
    expect(res.status).toBe(406);
    const status = JSON.parse(res.body.toString('utf8')) as Json;
    expect([status.kind, status.reason, status.code]).toEqual(['Status', 'NotAcceptable', 406]);
  });
});

const describeKubectl = tool.path ? describe : describe.skip;
const suiteName = tool.path
  ? 'kubectl client-side validation with the v2 protobuf document'
  : `kubectl client-side validation with the v2 protobuf document (skipped: ${tool.skipReason})`;

describeKubectl(suiteName, () => {
  beforeAll(async () => {
    await ok(['create', 'namespace', 'lists']);
  });

  it('apply -f of a kind: List fetches the protobuf document and creates every item', async () => {
    const manifest = list([configMap('one', 'lists'), configMap('two', 'lists'), deployment('web', 'lists')]);
    const r = await kubectl(['apply', '-f', '-', '-v=8'], manifest);
    if (r.code !== 0) throw new Error(`apply failed:\n${r.stderr}`);
    expect(r.stdout.trim().split('\n')).toEqual([
      'configmap/one created',
      'configmap/two created',
      'deployment.apps/web created',
    ]);
    // The request the fix is for: the v2 document asked for as protobuf, answered as such.
    const log = r.stderr;
    expect(log).toMatch(/GET https:\/\/\S+\/openapi\/v2\?timeout=\d+s/);
    expect(log).toContain(`Accept: ${OPENAPI_V2_PROTOBUF_DEPRECATED}`);
    expect(log).toContain(`Content-Type: ${OPENAPI_V2_PROTOBUF}`);
    expect(log).not.toContain('cannot parse invalid wire-format data');

    expect((await getObject(['configmap', 'one', '-n', 'lists']))?.data).toEqual({ key: 'one' });
    expect((await getObject(['configmap', 'two', '-n', 'lists']))?.data).toEqual({ key: 'two' });
    const web = await getObject(['deployment', 'web', '-n', 'lists']);
    expect(web?.spec.replicas).toBe(2);
  });

  it('applying the same List again leaves every item unchanged', async () => {
    const manifest = list([configMap('one', 'lists'), configMap('two', 'lists'), deployment('web', 'lists')]);
    expect((await ok(['apply', '-f', '-'], manifest)).trim().split('\n')).toEqual([
      'configmap/one unchanged',
      'configmap/two unchanged',
      'deployment.apps/web unchanged',
    ]);
  });

  it('rejects a List whose item has unknown fields, naming each field and its type, and creates nothing', async () => {
    const manifest = list([
      configMap('three', 'lists'),
      deployment('bad', 'lists', { foo: 1 }, { bar: true }),
    ]);
    const r = await kubectl(['apply', '-f', '-'], manifest);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('error validating data');
    expect(r.stderr).toContain(
      'ValidationError(Deployment.spec): unknown field "foo" in io.k8s.api.apps.v1.DeploymentSpec',
    );
    expect(r.stderr).toContain(
      'ValidationError(Deployment.spec.template.spec.containers[0]): unknown field "bar" in io.k8s.api.core.v1.Container',
    );
    expect(r.stderr).toContain('--validate=false');
    // Validation runs before anything is sent: the valid ConfigMap in the same List is not created.
    expect(await getObject(['configmap', 'three', '-n', 'lists'])).toBeUndefined();
    expect(await getObject(['deployment', 'bad', '-n', 'lists'])).toBeUndefined();
  });

  it('rejects a List item whose field has the wrong type', async () => {
    const manifest = list([deployment('typed', 'lists', { replicas: 'three' })]);
    const r = await kubectl(['apply', '-f', '-'], manifest);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'invalid type for io.k8s.api.apps.v1.DeploymentSpec.replicas: got "string", expected "integer"',
    );
  });

  it('apply --validate=false of the same List creates the items (the server drops unknown fields)', async () => {
    const manifest = list([
      configMap('three', 'lists'),
      deployment('bad', 'lists', { foo: 1 }, { bar: true }),
    ]);
    expect((await ok(['apply', '--validate=false', '-f', '-'], manifest)).trim().split('\n')).toEqual([
      'configmap/three created',
      'deployment.apps/bad created',
    ]);
    const bad = await getObject(['deployment', 'bad', '-n', 'lists']);
    expect(bad?.spec.foo).toBeUndefined();
    expect(bad?.spec.template.spec.containers[0].bar).toBeUndefined();
  });

  it('apply of a List updates items with a strategic merge patch', async () => {
    const updated = deployment('web', 'lists');
    updated.spec.replicas = 3;
    updated.spec.template.spec.containers = [
      { name: 'web', image: 'busybox:2' },
      { name: 'side', image: 'busybox:1' },
    ];
    expect((await ok(['apply', '-f', '-'], list([updated]))).trim()).toBe('deployment.apps/web configured');
    const web = await getObject(['deployment', 'web', '-n', 'lists']);
    expect(web?.spec.replicas).toBe(3);
    expect(web?.spec.template.spec.containers.map((c: Json) => `${c.name}=${c.image}`)).toEqual([
      'web=busybox:2',
      'side=busybox:1',
    ]);
  });

  it('create -f of a List validates client-side too', async () => {
    const r = await kubectl(['create', '-f', '-'], list([deployment('created', 'lists', { foo: 1 })]));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unknown field "foo" in io.k8s.api.apps.v1.DeploymentSpec');
    expect((await ok(['create', '-f', '-'], list([configMap('created', 'lists')]))).trim()).toBe(
      'configmap/created created',
    );
  });

  it('explain still works', async () => {
    const out = await ok(['explain', 'deployment.spec.replicas']);
    expect(out).toContain('KIND:       Deployment');
    expect(out).toContain('FIELD: replicas <integer>');
    const containers = await ok(['explain', 'pods.spec.containers']);
    expect(containers).toContain('FIELD: containers <[]Container>');
  });
});
