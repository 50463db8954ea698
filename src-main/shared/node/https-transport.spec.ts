import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeTransport } from './https-transport';
import { KubeApiError } from '../kube/types';

let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url?.startsWith('/stream')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      // One event split across writes, two in one write, then an open-ended stream for abort.
      res.write('{"type":"ADDED","object":{"metadata":');
      setTimeout(
        () => res.write('{"name":"a"}}}\n{"type":"MODIFIED","object":{}}\n{"type":"DELETED","object":{}}\n'),
        10,
      );
      if (req.url.includes('end')) setTimeout(() => res.end(), 20);
      return;
    }
    if (req.url?.startsWith('/missing')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          reason: 'NotFound',
          message: 'nope',
          code: 404,
        }),
      );
      return;
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          method: req.method,
          url: req.url,
          type: req.headers['content-type'],
          auth: req.headers.authorization,
          body: body ? JSON.parse(body) : null,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('createNodeTransport', () => {
  it('sends method, path, query, body, content type and bearer token', async () => {
    const t = createNodeTransport({ server: url, token: 'secret' });
    const res = await t.request({
      method: 'PATCH',
      path: '/x',
      query: { a: 'b c', skip: undefined },
      body: { k: 1 },
      contentType: 'application/merge-patch+json',
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      method: 'PATCH',
      url: '/x?a=b%20c',
      type: 'application/merge-patch+json',
      auth: 'Bearer secret',
      body: { k: 1 },
    });
    t.close();
  });

  it('streams newline-delimited JSON across chunk boundaries until the server ends', async () => {
    const t = createNodeTransport({ server: url });
    const lines: unknown[] = [];
    await t.stream({ method: 'GET', path: '/stream-end' }, (l) => lines.push(l));
    expect(lines).toEqual([
      { type: 'ADDED', object: { metadata: { name: 'a' } } },
      { type: 'MODIFIED', object: {} },
      { type: 'DELETED', object: {} },
    ]);
    t.close();
  });

  it('resolves a stream when its signal aborts', async () => {
    const t = createNodeTransport({ server: url });
    const abort = new AbortController();
    let n = 0;
    await t.stream({ method: 'GET', path: '/stream', signal: abort.signal }, () => {
      if (++n === 3) abort.abort();
    });
    expect(n).toBe(3);
    t.close();
  });

  it('rejects a non-2xx stream with the server Status', async () => {
    const t = createNodeTransport({ server: url });
    const err = await t.stream({ method: 'GET', path: '/missing' }, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).reason).toBe('NotFound');
    t.close();
  });
});
