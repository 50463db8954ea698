import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensurePki, issueClientCertificate, PKI_FILES, PkiError, serverTlsOptions } from './index';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'flotilla-pki-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const pkiFile = (name: string) => path.join(dataDir, 'pki', name);
const mode = async (file: string) => (await stat(file)).mode & 0o777;

/** Connects with Node's TLS client trusting only our CA; resolves with the verification outcome. */
function tlsHandshake(
  options: tls.TlsOptions,
  connect: tls.ConnectionOptions,
): Promise<{ authorized: boolean; error?: string; serverSawClientCert: boolean }> {
  return new Promise((resolve, reject) => {
    let serverSawClientCert = false;
    const server = tls.createServer(options, (socket) => {
      serverSawClientCert = socket.authorized;
      socket.end('hi');
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      const client = tls.connect({ host: '127.0.0.1', port, ...connect }, () => {
        const result = { authorized: client.authorized, error: client.authorizationError?.toString() };
        client.on('data', () => {});
        client.on('end', () => {
          server.close();
          resolve({ ...result, serverSawClientCert });
        });
      });
      client.on('error', (err) => {
        server.close();
        reject(err);
      });
    });
  });
}

describe('ensurePki', () => {
  it('creates a CA and a serving certificate that Node verifies, with the SANs clients dial', async () => {
    const pki = await ensurePki(dataDir, {
      hosts: ['10.1.2.3', 'Flotilla.Example', '0.0.0.0'],
      hostname: 'box',
    });
    expect(pki.created).toEqual({ ca: true, serving: true });

    const ca = new X509Certificate(pki.caPem);
    const serving = new X509Certificate(pki.serving.certPem);
    expect(ca.ca).toBe(true);
    expect(serving.ca).toBe(false);
    expect(serving.checkIssued(ca)).toBe(true);
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(
      serving.checkPrivateKey(
        await import('node:crypto').then((c) => c.createPrivateKey(pki.serving.keyPem)),
      ),
    ).toBe(true);

    // CA lives ten years; the serving certificate one.
    const years = (c: X509Certificate) =>
      (Date.parse(c.validTo) - Date.parse(c.validFrom)) / (365 * 86400_000);
    expect(years(ca)).toBeGreaterThan(9.9);
    expect(years(serving)).toBeGreaterThan(0.9);
    expect(years(serving)).toBeLessThan(1.1);

    for (const host of ['localhost', '127.0.0.1', '::1', 'box', '10.1.2.3', 'flotilla.example']) {
      expect(serving.checkHost(host) ?? serving.checkIP(host), host).toBeDefined();
      const san = serving.subjectAltName ?? '';
      const asIp = host === '::1' ? '0:0:0:0:0:0:0:1' : host;
      expect(san.includes(asIp), `${host} in ${san}`).toBe(true);
    }
    expect(serving.subjectAltName).not.toContain('0.0.0.0');
    expect(serving.checkHost('other.example')).toBeUndefined();
  });

  it('serves TLS that a client trusting only the cluster CA accepts, and a client certificate the server verifies', async () => {
    const pki = await ensurePki(dataDir, { hostname: 'box' });
    const admin = await issueClientCertificate(pki.ca, {
      commonName: 'flotilla-admin',
      organizations: ['system:masters'],
    });
    const result = await tlsHandshake(serverTlsOptions(pki), {
      ca: pki.caPem,
      servername: 'localhost',
      cert: admin.certPem,
      key: admin.keyPem,
    });
    expect(result).toMatchObject({ authorized: true, serverSawClientCert: true });

    // A client that does not trust our CA sees an unverified server.
    const distrust = await tlsHandshake(serverTlsOptions(pki), { rejectUnauthorized: false });
    expect(distrust.authorized).toBe(false);
    expect(distrust.serverSawClientCert).toBe(false);
  });

  it('issues client certificates whose CN is the user and whose O values are the groups', async () => {
    const pki = await ensurePki(dataDir, { hostname: 'box' });
    const node = await issueClientCertificate(pki.ca, {
      commonName: 'system:node:worker-1',
      organizations: ['system:nodes', 'team-a'],
      days: 30,
    });
    const cert = new X509Certificate(node.certPem);
    expect(cert.subject.split('\n')).toEqual(['CN=system:node:worker-1', 'O=system:nodes', 'O=team-a']);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // clientAuth only
    expect(cert.checkIssued(new X509Certificate(pki.caPem))).toBe(true);
    const days = (Date.parse(cert.validTo) - Date.now()) / 86400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);
  });

  it('stores keys 0600 in a 0700 folder and keeps the CA key only there', async () => {
    const pki = await ensurePki(dataDir, { hostname: 'box' });
    expect(await mode(path.join(dataDir, 'pki'))).toBe(0o700);
    expect(await mode(pkiFile(PKI_FILES.caKey))).toBe(0o600);
    expect(await mode(pkiFile(PKI_FILES.servingKey))).toBe(0o600);
    expect(await readFile(pkiFile(PKI_FILES.caKey), 'utf8')).toBe(pki.ca.keyPem);
    expect(pki.ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    // Nothing handed to clients contains the CA key.
    expect(pki.caPem).not.toContain('PRIVATE KEY');
    expect(pki.serving.certPem).not.toContain('PRIVATE KEY');
  });

  it('reloads the same CA and serving certificate on the next start', async () => {
    const first = await ensurePki(dataDir, { hosts: ['10.1.2.3'], hostname: 'box' });
    const second = await ensurePki(dataDir, { hosts: ['10.1.2.3'], hostname: 'box' });
    expect(second.created).toEqual({ ca: false, serving: false });
    expect(second.caPem).toBe(first.caPem);
    expect(second.ca.keyPem).toBe(first.ca.keyPem);
    expect(second.serving.certPem).toBe(first.serving.certPem);
    // The reloaded CA still signs certificates that chain to the original CA certificate.
    const client = await issueClientCertificate(second.ca, { commonName: 'u' });
    expect(new X509Certificate(client.certPem).verify(new X509Certificate(first.caPem).publicKey)).toBe(true);
  });

  it('re-issues the serving certificate (same CA) when a requested host is not covered, keeping old names', async () => {
    const first = await ensurePki(dataDir, { hosts: ['10.1.2.3'], hostname: 'box' });
    const second = await ensurePki(dataDir, { hosts: ['192.168.7.9'], hostname: 'box' });
    expect(second.created).toEqual({ ca: false, serving: true });
    expect(second.caPem).toBe(first.caPem);
    const cert = new X509Certificate(second.serving.certPem);
    expect(cert.checkIP('192.168.7.9')).toBe('192.168.7.9');
    expect(cert.checkIP('10.1.2.3')).toBe('10.1.2.3');
    expect(cert.verify(new X509Certificate(first.caPem).publicKey)).toBe(true);
  });

  it('re-issues a serving certificate that is close to expiry or from another CA', async () => {
    const longAgo = new Date(Date.now() - 350 * 86400_000);
    const old = await ensurePki(dataDir, { hostname: 'box', now: () => longAgo });
    const renewed = await ensurePki(dataDir, { hostname: 'box' });
    expect(renewed.created.serving).toBe(true);
    expect(renewed.serving.certPem).not.toBe(old.serving.certPem);

    const other = await mkdtemp(path.join(tmpdir(), 'flotilla-pki-other-'));
    try {
      const foreign = await ensurePki(other, { hostname: 'box' });
      await writeFile(pkiFile(PKI_FILES.servingCert), foreign.serving.certPem);
      await writeFile(pkiFile(PKI_FILES.servingKey), foreign.serving.keyPem);
      const fixed = await ensurePki(dataDir, { hostname: 'box' });
      expect(fixed.created.serving).toBe(true);
      expect(new X509Certificate(fixed.serving.certPem).checkIssued(new X509Certificate(fixed.caPem))).toBe(
        true,
      );
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('refuses a broken CA instead of silently replacing it', async () => {
    await ensurePki(dataDir, { hostname: 'box' });
    await writeFile(pkiFile(PKI_FILES.caKey), 'not a key');
    await expect(ensurePki(dataDir, { hostname: 'box' })).rejects.toMatchObject({ code: 'PkiCorrupt' });

    await rm(pkiFile(PKI_FILES.caKey));
    const err = await ensurePki(dataDir, { hostname: 'box' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PkiError);
    expect((err as PkiError).code).toBe('PkiCorrupt');
  });

  it('refuses a CA key that belongs to another certificate', async () => {
    await ensurePki(dataDir, { hostname: 'box' });
    const other = await mkdtemp(path.join(tmpdir(), 'flotilla-pki-other-'));
    try {
      const foreign = await ensurePki(other, { hostname: 'box' });
      await writeFile(pkiFile(PKI_FILES.caKey), foreign.ca.keyPem);
      await expect(ensurePki(dataDir, { hostname: 'box' })).rejects.toMatchObject({ code: 'PkiCorrupt' });
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
