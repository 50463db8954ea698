import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createAuthenticator, TokenStore, unauthorizedStatus } from '../auth';
import type { UserInfo } from '../auth';
import type { Pki } from './index';
import {
  ensurePki,
  issueClientCertificate,
  readKubeconfig,
  renderKubeconfig,
  serverTlsOptions,
  writeKubeconfig,
} from './index';

const KUBECTL = '/usr/bin/kubectl';
const haveKubectl = existsSync(KUBECTL);
const inCI = process.env.CI === 'true';

let dir: string;
let pki: Pki;
let server: https.Server;
let url: string;
let adminToken: string;
const seen: (UserInfo | undefined)[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flotilla-kubeconfig-'));
  pki = await ensurePki(dir);
  const tokens = await TokenStore.open(path.join(dir, 'pki', 'tokens.json'));
  adminToken = (await tokens.ensureAdminToken()) as string;
  const authenticate = createAuthenticator({ caPem: pki.caPem, tokens });
  // A throwaway API server: just enough (/version, authenticated) for `kubectl version`.
  server = https.createServer(serverTlsOptions(pki), (req, res) => {
    const user = authenticate(req);
    seen.push(user);
    res.setHeader('content-type', 'application/json');
    if (!user) {
      res.writeHead(401).end(JSON.stringify(unauthorizedStatus()));
    } else if (new URL(req.url ?? '/', 'https://x').pathname === '/version') {
      res.end(
        JSON.stringify({
          major: '1',
          minor: '32',
          gitVersion: 'v1.32.0-flotilla-test',
          platform: 'linux/amd64',
        }),
      );
    } else {
      res.writeHead(404).end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server?.closeAllConnections();
  await rm(dir, { recursive: true, force: true });
});

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      [...args, '--request-timeout=20s'],
      // A private HOME keeps kubectl's discovery cache out of the real one.
      { env: { PATH: process.env.PATH, HOME: dir }, timeout: 30_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('renderKubeconfig / readKubeconfig', () => {
  it('writes the kubectl format with inline base64 data and a current context, mode 0600', async () => {
    const file = path.join(dir, 'a', 'kubeconfig');
    const admin = await issueClientCertificate(pki.ca, {
      commonName: 'flotilla-admin',
      organizations: ['system:masters'],
    });
    await writeKubeconfig(file, {
      clusterName: 'flotilla',
      server: 'https://127.0.0.1:6443',
      caPem: pki.caPem,
      user: admin,
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const doc = YAML.parse(await readFile(file, 'utf8'));
    expect(doc).toMatchObject({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'flotilla',
      clusters: [{ name: 'flotilla', cluster: { server: 'https://127.0.0.1:6443' } }],
      users: [{ name: 'flotilla-admin' }],
      contexts: [{ name: 'flotilla', context: { cluster: 'flotilla', user: 'flotilla-admin' } }],
    });
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    expect(doc.clusters[0].cluster['certificate-authority-data']).toBe(b64(pki.caPem));
    expect(doc.users[0].user['client-certificate-data']).toBe(b64(admin.certPem));
    expect(doc.users[0].user['client-key-data']).toBe(b64(admin.keyPem));

    expect(await readKubeconfig(file)).toEqual({
      server: 'https://127.0.0.1:6443',
      caPem: pki.caPem,
      certPem: admin.certPem,
      keyPem: admin.keyPem,
    });
  });

  it('renders a token user and a namespace', () => {
    const doc = YAML.parse(
      renderKubeconfig({
        clusterName: 'c',
        server: 'https://x',
        caPem: 'CA',
        user: { token: 'abc.def' },
        namespace: 'ns1',
      }),
    );
    expect(doc.users[0]).toEqual({ name: 'c-admin', user: { token: 'abc.def' } });
    expect(doc.contexts[0].context).toEqual({ cluster: 'c', user: 'c-admin', namespace: 'ns1' });
  });
});

describe('kubectl against a server using these certificates', () => {
  const run = haveKubectl || inCI ? it : it.skip;

  run('kubectl version succeeds over TLS with the admin client certificate', async () => {
    if (!haveKubectl) throw new Error(`CI=true but kubectl is missing at ${KUBECTL}`);
    const file = path.join(dir, 'kubeconfig-cert');
    const admin = await issueClientCertificate(pki.ca, {
      commonName: 'flotilla-admin',
      organizations: ['system:masters'],
    });
    await writeKubeconfig(file, { clusterName: 'flotilla', server: url, caPem: pki.caPem, user: admin });
    seen.length = 0;
    const result = await kubectl(['version', '-o', 'json', '--kubeconfig', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).serverVersion.gitVersion).toBe('v1.32.0-flotilla-test');
    expect(seen.at(-1)).toEqual({
      name: 'flotilla-admin',
      groups: ['system:masters', 'system:authenticated'],
    });
  });

  run('kubectl version succeeds with the admin bearer token', async () => {
    if (!haveKubectl) throw new Error(`CI=true but kubectl is missing at ${KUBECTL}`);
    const file = path.join(dir, 'kubeconfig-token');
    await writeKubeconfig(file, {
      clusterName: 'flotilla',
      server: url,
      caPem: pki.caPem,
      user: { token: adminToken },
    });
    const result = await kubectl(['version', '-o', 'json', '--kubeconfig', file]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).serverVersion.gitVersion).toBe('v1.32.0-flotilla-test');
  });

  run(
    'kubectl refuses the server when the kubeconfig trusts another CA, and gets 401 with a wrong token',
    async () => {
      if (!haveKubectl) throw new Error(`CI=true but kubectl is missing at ${KUBECTL}`);
      const other = await mkdtemp(path.join(tmpdir(), 'flotilla-kubeconfig-other-'));
      try {
        const foreign = await ensurePki(other);
        const file = path.join(dir, 'kubeconfig-foreign');
        await writeKubeconfig(file, {
          clusterName: 'flotilla',
          server: url,
          caPem: foreign.caPem,
          user: { token: adminToken },
        });
        const untrusted = await kubectl(['version', '-o', 'json', '--kubeconfig', file]);
        expect(untrusted.code).not.toBe(0);
        expect(untrusted.stderr).toMatch(/certificate signed by unknown authority|x509/);
      } finally {
        await rm(other, { recursive: true, force: true });
      }
      const file = path.join(dir, 'kubeconfig-bad-token');
      await writeKubeconfig(file, {
        clusterName: 'flotilla',
        server: url,
        caPem: pki.caPem,
        user: { token: 'admin.wrong' },
      });
      const denied = await kubectl(['version', '-o', 'json', '--kubeconfig', file]);
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toMatch(/Unauthorized|must be logged in/);
    },
  );
});
