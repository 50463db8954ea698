// The UI handler on a real loopback HTTP server: static files with the strict CSP, the login
// exchange, and everything outside /ui/ left alone.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUiHandler } from './handler';
import { createLoginTokens } from './login-tokens';

function rawStatus(base: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.path = path;
    req.on('error', reject);
    req.end();
  });
}

describe('createUiHandler', () => {
  let dist: string;
  let server: Server;
  let base: string;
  const login = createLoginTokens();

  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), 'flotilla-ui-'));
    await mkdir(join(dist, 'assets'));
    await writeFile(
      join(dist, 'index.html'),
      '<!doctype html><html><head><title>x</title></head><body></body></html>',
    );
    await writeFile(join(dist, 'assets', 'app-123.js'), 'console.log(1)');
    await writeFile(join(dist, 'secret.txt.bak'), 'never outside dist');
    const ui = createUiHandler({ distDir: dist, login });
    server = createServer((req, res) => {
      if (!ui(req, res)) {
        res.writeHead(418);
        res.end('api');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rm(dist, { recursive: true, force: true });
  });

  it('serves index.html with a strict CSP and a fresh style nonce for the editor', async () => {
    const a = await fetch(`${base}/ui/`);
    const b = await fetch(`${base}/ui/`);
    expect(a.status).toBe(200);
    const csp = a.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(await a.text()).toContain(`<meta name="csp-nonce" content="${nonce}" />`);
    expect(b.headers.get('content-security-policy')).not.toBe(csp);
    expect(a.headers.get('x-frame-options')).toBe('DENY');
  });

  it('serves hashed assets as immutable, redirects /ui, and refuses what is not a file in dist', async () => {
    const js = await fetch(`${base}/ui/assets/app-123.js`);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    const redirect = await fetch(`${base}/ui`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([301, '/ui/']);
    expect((await fetch(`${base}/ui/assets/missing.js`)).status).toBe(404);
    // Sent raw: fetch would normalise the dots away before they reach the server.
    expect(await rawStatus(base, '/ui/..%2f..%2f..%2fetc/passwd')).toBe(404);
    // Dot segments resolve before routing: this is not a /ui/ path at all, so the API server gets it.
    expect(await rawStatus(base, '/ui/../secret.txt.bak')).toBe(418);
    expect((await fetch(`${base}/ui/assets`)).status).toBe(404);
    expect((await fetch(`${base}/ui/`, { method: 'PUT' })).status).toBe(405);
  });

  it('leaves every other path to the API server', async () => {
    expect((await fetch(`${base}/api/v1/pods`)).status).toBe(418);
    expect((await fetch(`${base}/uix`)).status).toBe(418);
  });

  it('exchanges a login token once for a session, and signs out', async () => {
    const token = login.issueLoginToken();
    const post = (body: unknown) =>
      fetch(`${base}/ui/session`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const res = await post({ token });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const session = (await res.json()) as { sessionToken: string; user: { name: string } };
    expect(session.user.name).toBe('flotilla-admin');
    expect(login.validateSessionToken(session.sessionToken)).toBeDefined();

    const again = await post({ token });
    expect(again.status).toBe(401);
    expect(((await again.json()) as { kind: string; reason: string }).reason).toBe('Unauthorized');
    expect((await post({})).status).toBe(401);
    const wrongType = await fetch(`${base}/ui/session`, { method: 'POST', body: token });
    expect(wrongType.status).toBe(415);

    const out = await fetch(`${base}/ui/session`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${session.sessionToken}` },
    });
    expect(out.status).toBe(200);
    expect(login.validateSessionToken(session.sessionToken)).toBeUndefined();
  });

  it('says how to build the UI when it is missing', async () => {
    const ui = createUiHandler({ distDir: join(dist, 'nope') });
    const s = createServer((req, res) => void ui(req, res));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/ui/`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { message: string }).message).toContain('npm run build:ui');
    await new Promise((r) => s.close(r));
  });
});
