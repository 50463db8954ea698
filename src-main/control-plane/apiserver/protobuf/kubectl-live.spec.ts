// The real kubectl against a minimal loopback server: every typed `kubectl create` body it sends as
// protobuf must decode to the object kubectl itself prints for the same command with
// `--dry-run=client -o json`. This catches a kubectl whose encoding has moved on from the fixtures.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCES, apiVersionOf } from '../../../shared/resources';
import { apiGroupList, apiResourceList, apiVersions } from '../discovery';
import { PROTOBUF_MEDIA_TYPE, decodeKubernetesProtobuf } from './decode';

const KUBECTL = '/usr/bin/kubectl';
const run = promisify(execFile);

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

// Under CI a missing kubectl fails this suite rather than skipping it.
describe.skipIf(!existsSync(KUBECTL) && process.env.CI !== 'true')(
  'kubectl create bodies (live kubectl)',
  () => {
    const received: { contentType: string; object: unknown }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        const json = (code: number, body: unknown) => {
          res.writeHead(code, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        // Legacy discovery only: kubectl falls back to it when the aggregated form is not offered.
        if (path === '/api') return json(200, apiVersions('127.0.0.1'));
        if (path === '/apis') return json(200, apiGroupList(RESOURCES));
        const gv = /^\/api\/(v1)$/.exec(path) ?? /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
        if (gv && req.method === 'GET') {
          const doc = path.startsWith('/api/')
            ? apiResourceList(RESOURCES, '', 'v1')
            : apiResourceList(RESOURCES, gv[1]!, gv[2]!);
          return doc
            ? json(200, doc)
            : json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404 });
        }
        if (req.method === 'POST') {
          const contentType = (req.headers['content-type'] ?? '').split(';')[0]!;
          const body = Buffer.concat(chunks);
          try {
            const object =
              contentType === PROTOBUF_MEDIA_TYPE
                ? decodeKubernetesProtobuf(body).object
                : (JSON.parse(body.toString()) as unknown);
            received.push({ contentType, object });
            return json(201, object);
          } catch (err) {
            return json(400, {
              kind: 'Status',
              apiVersion: 'v1',
              status: 'Failure',
              code: 400,
              message: String(err),
            });
          }
        }
        json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound' });
      });
    });
    let dir = '';
    let env: NodeJS.ProcessEnv = {};

    beforeAll(async () => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      dir = mkdtempSync(join(tmpdir(), 'flotilla-pb-'));
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(
        kubeconfig,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters: [{name: c, cluster: {server: "http://127.0.0.1:' + port + '"}}]',
          'users: [{name: u, user: {}}]',
          'contexts: [{name: x, context: {cluster: c, user: u, namespace: default}}]',
          'current-context: x',
        ].join('\n'),
      );
      writeFileSync(join(dir, 'app.conf'), 'key = value\n');
      env = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig };
    });

    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const commands: string[][] = [
      ['create', 'namespace', 'live'],
      ['create', 'configmap', 'c', '--from-literal=a=b', '--from-file=app.conf'],
      ['create', 'secret', 'generic', 's', '--from-literal=pw=hunter2', '--type=Opaque'],
      [
        'create',
        'deployment',
        'd',
        '--image=busybox:1',
        '--replicas=0',
        '--port=8080',
        '--',
        'sleep',
        '3600',
      ],
      ['create', 'service', 'clusterip', 'svc', '--tcp=80:http'],
      ['create', 'service', 'loadbalancer', 'lb', '--tcp=443:8443'],
      ['create', 'serviceaccount', 'sa'],
    ];
    for (const args of commands) {
      it(`kubectl ${args.join(' ')}`, async () => {
        const before = received.length;
        await run(KUBECTL, args, { env, cwd: dir });
        expect(received.length).toBe(before + 1);
        const sent = received[received.length - 1]!;
        expect(sent.contentType).toBe(PROTOBUF_MEDIA_TYPE);
        // The same command printed instead of sent (flags go before a `--` command separator).
        const dash = args.includes('--') ? args.indexOf('--') : args.length;
        const dryRun = [...args.slice(0, dash), '--dry-run=client', '-o', 'json', ...args.slice(dash)];
        const { stdout } = await run(KUBECTL, dryRun, { env, cwd: dir });
        expect(sent.object).toEqual(withoutNulls(JSON.parse(stdout)));
        const object = sent.object as { apiVersion: string; kind: string };
        expect(RESOURCES.some((r) => apiVersionOf(r) === object.apiVersion && r.kind === object.kind)).toBe(
          true,
        );
      });
    }
  },
);
