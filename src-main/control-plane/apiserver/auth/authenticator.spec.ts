import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCertificate, Pki } from '../pki';
import { ensurePki, issueClientCertificate, serverTlsOptions } from '../pki';
import { bearerToken, createAuthenticator } from './authenticator';
import { TokenStore } from './tokens';
import type { UserInfo } from './user';

let dir: string;
let pki: Pki;
let foreign: Pki;
let tokens: TokenStore;
let adminToken: string;
const servers: https.Server[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flotilla-auth-'));
  pki = await ensurePki(path.join(dir, 'ours'));
  foreign = await ensurePki(path.join(dir, 'foreign'));
  tokens = await TokenStore.open(path.join(dir, 'ours', 'pki', 'tokens.json'));
  adminToken = (await tokens.ensureAdminToken()) as string;
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  await rm(dir, { recursive: true, force: true });
});

/** A real HTTPS server on loopback that answers every request with the authenticated user (or null). */
async function startServer(tlsCa: string | string[] = pki.caPem): Promise<string> {
  const authenticate = createAuthenticator({ caPem: pki.caPem, tokens });
  const server = https.createServer({ ...serverTlsOptions(pki), ca: tlsCa }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(authenticate(req) ?? null));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

function whoami(
  url: string,
  options: { cert?: IssuedCertificate; headers?: Record<string, string>; agent?: https.Agent } = {},
): Promise<UserInfo | null> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        ca: pki.caPem,
        cert: options.cert?.certPem,
        key: options.cert?.keyPem,
        headers: options.headers,
        agent: options.agent ?? false,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(JSON.parse(body) as UserInfo | null));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('createAuthenticator over real TLS', () => {
  let url: string;
  beforeAll(async () => {
    url = await startServer();
  });

  it('accepts a client certificate from the cluster CA: user = CN, groups = O + system:authenticated', async () => {
    const cert = await issueClientCertificate(pki.ca, {
      commonName: 'flotilla-admin',
      organizations: ['system:masters'],
    });
    expect(await whoami(url, { cert })).toEqual({
      name: 'flotilla-admin',
      groups: ['system:masters', 'system:authenticated'],
    });

    const node = await issueClientCertificate(pki.ca, {
      commonName: 'system:node:w1',
      organizations: ['system:nodes', 'x'],
    });
    expect(await whoami(url, { cert: node })).toEqual({
      name: 'system:node:w1',
      groups: ['system:nodes', 'x', 'system:authenticated'],
    });
  });

  it('keeps recognising the certificate on every request of a keep-alive connection', async () => {
    const cert = await issueClientCertificate(pki.ca, { commonName: 'alice', organizations: [] });
    const agent = new https.Agent({
      keepAlive: true,
      maxSockets: 1,
      ca: pki.caPem,
      cert: cert.certPem,
      key: cert.keyPem,
    });
    try {
      for (let i = 0; i < 3; i++) {
        expect(await whoami(url, { cert, agent })).toEqual({
          name: 'alice',
          groups: ['system:authenticated'],
        });
      }
    } finally {
      agent.destroy();
    }
  });

  it('rejects a client certificate from a foreign CA', async () => {
    const cert = await issueClientCertificate(foreign.ca, {
      commonName: 'mallory',
      organizations: ['system:masters'],
    });
    expect(await whoami(url, { cert })).toBeNull();
  });

  it('rejects a foreign certificate even when the TLS layer was configured to trust its CA', async () => {
    const lax = await startServer([pki.caPem, foreign.caPem]);
    const cert = await issueClientCertificate(foreign.ca, {
      commonName: 'mallory',
      organizations: ['system:masters'],
    });
    expect(await whoami(lax, { cert })).toBeNull();
    const ours = await issueClientCertificate(pki.ca, { commonName: 'bob' });
    expect(await whoami(lax, { cert: ours })).toEqual({ name: 'bob', groups: ['system:authenticated'] });
  });

  it('does not accept the serving certificate as a client identity', async () => {
    expect(await whoami(url, { cert: pki.serving })).toBeNull();
  });

  it('accepts a known bearer token and rejects an unknown one', async () => {
    expect(await whoami(url, { headers: { authorization: `Bearer ${adminToken}` } })).toEqual({
      name: 'flotilla-admin',
      groups: ['system:masters', 'system:authenticated'],
    });
    expect(await whoami(url, { headers: { authorization: `Bearer ${adminToken}x` } })).toBeNull();
    expect(
      await whoami(url, { headers: { authorization: 'Bearer admin.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' } }),
    ).toBeNull();
    expect(
      await whoami(url, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }),
    ).toBeNull();
  });

  it('accepts the token a WebSocket client sends as a subprotocol', async () => {
    const proto = `base64url.bearer.authorization.k8s.io.${Buffer.from(adminToken).toString('base64url')}`;
    const user = await whoami(url, { headers: { 'sec-websocket-protocol': `v5.channel.k8s.io, ${proto}` } });
    expect(user?.name).toBe('flotilla-admin');
  });

  it('prefers a valid client certificate over a bad token, like Kubernetes', async () => {
    const cert = await issueClientCertificate(pki.ca, { commonName: 'carol' });
    expect(await whoami(url, { cert, headers: { authorization: 'Bearer nope.nope' } })).toEqual({
      name: 'carol',
      groups: ['system:authenticated'],
    });
  });

  it('returns undefined for a request without credentials', async () => {
    expect(await whoami(url)).toBeNull();
  });
});

describe('bearerToken', () => {
  it('parses the Authorization header case-insensitively and ignores other schemes', () => {
    expect(bearerToken({ headers: { authorization: 'Bearer abc.def' } })).toBe('abc.def');
    expect(bearerToken({ headers: { authorization: 'bearer   abc.def ' } })).toBe('abc.def');
    expect(bearerToken({ headers: { authorization: 'Basic abc' } })).toBeUndefined();
    expect(bearerToken({ headers: { authorization: 'Bearer a b' } })).toBeUndefined();
    expect(bearerToken({ headers: {} })).toBeUndefined();
  });
});
