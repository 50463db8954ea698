// The gateway against a real control plane standing in for the remote Flotilla: the page's session
// token is the only way in, and what gets through reaches the server with the kubeconfig's identity
// (requests, watches and upgrade attempts alike).
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane } from '../control-plane/index';
import type { ControlPlane } from '../control-plane/index';
import { kubeApiFromKubeconfig, loadKubeconfig } from '../control-plane/client/kubeconfig';
import { silentLogger } from '../platform/logger';
import { resourceFor } from '../shared/resources';
import { startRemoteGateway } from './remote-gateway';
import type { RemoteGateway } from './remote-gateway';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(
  url: string,
  options: { method?: string; token?: string; body?: unknown } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = http.request(url, {
      method: options.method ?? 'GET',
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(payload ? { 'content-type': 'application/json' } : {}),
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Sends a raw upgrade request and returns the status line the gateway answers with. */
function upgrade(port: number, path: string, protocols: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
          `Sec-WebSocket-Protocol: ${protocols}\r\n\r\n`,
      );
    });
    let text = '';
    s.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.includes('\r\n')) {
        s.destroy();
        resolve(text.split('\r\n')[0]!);
      }
    });
    s.on('error', reject);
  });
}

describe('remote gateway', () => {
  let dataDir: string;
  let uiDir: string;
  let cp: ControlPlane;
  let gateway: RemoteGateway;
  let session: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'flotilla-remote-'));
    uiDir = await mkdtemp(join(tmpdir(), 'flotilla-remote-ui-'));
    await writeFile(
      join(uiDir, 'index.html'),
      '<!doctype html><html><head></head><body><div id="app"></div></body></html>',
    );
    cp = await startControlPlane({
      dataDir,
      host: '127.0.0.1',
      port: 0,
      log: silentLogger,
      disable: ['scheduler', 'controllers'],
    });
    gateway = await startRemoteGateway({
      upstream: await loadKubeconfig(cp.kubeconfigPath),
      uiDistDir: uiDir,
      log: silentLogger,
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await cp?.stop();
    await Promise.all([dataDir, uiDir].map((d) => rm(d, { recursive: true, force: true })));
  });

  it('serves the UI and its login on loopback, and trades the link for a session', async () => {
    expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const page = await request(`${gateway.url}/ui/`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const token = new URLSearchParams(gateway.loginUrl().split('?')[1]).get('token');
    const answer = await request(`${gateway.url}/ui/session`, { method: 'POST', body: { token } });
    expect(answer.status).toBe(200);
    session = (JSON.parse(answer.body) as { sessionToken: string }).sessionToken;
    expect(session).toBeTruthy();
  });

  it('lets nothing through without the session token', async () => {
    for (const token of [undefined, 'made-up']) {
      const answer = await request(`${gateway.url}/api/v1/namespaces`, token ? { token } : {});
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized' });
    }
    expect(
      await upgrade(
        Number(new URL(gateway.url).port),
        '/api/v1/namespaces/default/pods/x/exec',
        'v4.channel.k8s.io',
      ),
    ).toBe('HTTP/1.1 401 Unauthorized');
  });

  it('forwards requests and watches with the kubeconfig identity', async () => {
    const list = await request(`${gateway.url}/api/v1/namespaces`, { token: session });
    expect(list.status).toBe(200);
    expect(
      (JSON.parse(list.body) as { items: { metadata: { name: string } }[] }).items.map(
        (n) => n.metadata.name,
      ),
    ).toContain('default');

    // A watch through the gateway sees a namespace created directly on the server.
    const seen = new Promise<string>((resolve, reject) => {
      const req = http.request(
        `${gateway.url}/api/v1/namespaces?watch=1&resourceVersion=${JSON.parse(list.body).metadata.resourceVersion}`,
        {
          headers: { authorization: `Bearer ${session}` },
        },
      );
      req.on('response', (res) => {
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString();
          if (buf.includes('via-gateway')) {
            req.destroy();
            resolve(buf);
          }
        });
      });
      req.on('error', (err) => (err.message.includes('aborted') ? undefined : reject(err)));
      req.end();
    });
    const direct = await kubeApiFromKubeconfig(cp.kubeconfigPath);
    try {
      await direct.api.create(resourceFor('', 'namespaces'), { metadata: { name: 'via-gateway' } });
    } finally {
      direct.transport.close();
    }
    expect(await seen).toContain('"type":"ADDED"');
  });

  it('passes an upgrade to the server, which answers it (no such pod here)', async () => {
    const token = Buffer.from(session).toString('base64url');
    const status = await upgrade(
      Number(new URL(gateway.url).port),
      '/api/v1/namespaces/default/pods/missing/exec?command=sh&stdout=1',
      `v4.channel.k8s.io, base64url.bearer.authorization.k8s.io.${token}`,
    );
    expect(status).toMatch(/^HTTP\/1\.1 404/);
  });
});
