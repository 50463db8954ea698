import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeKeyAndCsr } from '../../../agent/bootstrap/csr';
import type { CertificateSigningRequest } from '../../../shared/bootstrap';
import { bootstrapTokenSecret } from '../../../shared/bootstrap';
import type { Pki } from '../../apiserver/pki';
import { ensurePki } from '../../apiserver/pki';
import { crypto, generateKeyPair } from '../../apiserver/pki/keys';
import * as x509 from '../../apiserver/pki/x509';
import { checkNodeClientRequest, reviewBootstrapRequest } from './review';
import { createCaSigner } from './signer';

const NOW = new Date();
let dir: string;
let pki: Pki;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flotilla-csr-'));
  pki = await ensurePki(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function request(
  csrPem: string,
  extra: Partial<CertificateSigningRequest['spec']> = {},
): CertificateSigningRequest {
  return {
    metadata: { name: 'node-csr-1' },
    spec: {
      request: Buffer.from(csrPem).toString('base64'),
      signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
      usages: ['digital signature', 'client auth'],
      username: 'system:bootstrap:abcdef',
      groups: ['system:bootstrappers', 'system:authenticated'],
      ...extra,
    },
  };
}

/** The token's Secret as the controller reads it back (data base64, annotations kept). */
function secret(node: string, expiration = new Date(NOW.getTime() + 60_000)) {
  const s = bootstrapTokenSecret({
    tokenId: 'abcdef',
    tokenSecret: '0123456789abcdef',
    expiration,
    nodeName: node,
  });
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(v).toString('base64');
  return { type: s.type, metadata: { annotations: s.metadata.annotations }, data };
}

async function csrWithSubject(name: x509.JsonName): Promise<string> {
  const keys = await generateKeyPair();
  const req = await x509.Pkcs10CertificateRequestGenerator.create(
    { name, keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } },
    crypto,
  );
  return req.toString('pem');
}

describe('node client certificate requests', () => {
  it("accepts the agent's request and reads the node name from its subject", async () => {
    const { csrPem } = await createNodeKeyAndCsr('n1');
    const checked = await checkNodeClientRequest(request(csrPem));
    expect(checked.ok && checked.value).toMatchObject({
      nodeName: 'n1',
      commonName: 'system:node:n1',
      organizations: ['system:nodes'],
    });
  });

  it('refuses another subject, extra usages, and a request that is not a CSR', async () => {
    const extraOrg = await csrWithSubject([
      { CN: ['system:node:n1'] },
      { O: ['system:nodes'] },
      { O: ['system:masters'] },
    ]);
    expect(await checkNodeClientRequest(request(extraOrg))).toMatchObject({
      ok: false,
      reason: 'InvalidSubject',
    });
    const notNode = await csrWithSubject([{ CN: ['flotilla-admin'] }, { O: ['system:nodes'] }]);
    expect(await checkNodeClientRequest(request(notNode))).toMatchObject({
      ok: false,
      reason: 'InvalidSubject',
    });
    const { csrPem } = await createNodeKeyAndCsr('n1');
    expect(
      await checkNodeClientRequest(request(csrPem, { usages: ['client auth', 'server auth'] })),
    ).toMatchObject({
      ok: false,
      reason: 'InvalidUsages',
    });
    expect(await checkNodeClientRequest(request('not a csr'))).toMatchObject({
      ok: false,
      reason: 'InvalidRequest',
    });
  });

  it('approves a bootstrap token request for exactly the bound node', async () => {
    const { csrPem } = await createNodeKeyAndCsr('n1');
    const csr = request(csrPem);
    const review = reviewBootstrapRequest(csr, await checkNodeClientRequest(csr), secret('n1'), NOW);
    expect(review).toMatchObject({ decision: 'approve', reason: 'AutoApproved', tokenId: 'abcdef' });
  });

  it('denies another node name, a spent or expired token, and an unbound token, with the reason', async () => {
    const { csrPem } = await createNodeKeyAndCsr('n2');
    const csr = request(csrPem);
    const parsed = await checkNodeClientRequest(csr);
    expect(reviewBootstrapRequest(csr, parsed, secret('n1'), NOW)).toMatchObject({
      decision: 'deny',
      reason: 'NodeNameMismatch',
      message: expect.stringContaining('may only join as node "n1", not "n2"'),
    });
    expect(reviewBootstrapRequest(csr, parsed, undefined, NOW)).toMatchObject({
      decision: 'deny',
      reason: 'TokenNotFound',
    });
    expect(reviewBootstrapRequest(csr, parsed, secret('n2', new Date(NOW.getTime() - 1)), NOW)).toMatchObject(
      {
        decision: 'deny',
        reason: 'TokenExpired',
      },
    );
    const unbound = { ...secret('n2'), metadata: {} };
    expect(reviewBootstrapRequest(csr, parsed, unbound, NOW)).toMatchObject({
      decision: 'deny',
      reason: 'TokenNotBound',
    });
  });

  it('leaves requests that did not come from a bootstrap token to a person', async () => {
    const { csrPem } = await createNodeKeyAndCsr('n1');
    const csr = request(csrPem, { username: 'flotilla-admin', groups: ['system:masters'] });
    expect(reviewBootstrapRequest(csr, await checkNodeClientRequest(csr), secret('n1'), NOW).decision).toBe(
      'skip',
    );
  });

  it("signs the request's public key with the cluster CA, for client auth only", async () => {
    const { csrPem, keyPem } = await createNodeKeyAndCsr('n1');
    const checked = await checkNodeClientRequest(request(csrPem));
    if (!checked.ok) throw new Error(checked.message);
    const pem = await createCaSigner(pki.ca).sign({ ...checked.value, expirationSeconds: 3600 });
    const cert = new X509Certificate(pem);
    const ca = new X509Certificate(pki.caPem);
    expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subject).toBe('CN=system:node:n1\nO=system:nodes');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(keyPem))).toBe(true);
    const lifetime = Date.parse(cert.validTo) - Date.now();
    expect(lifetime).toBeGreaterThan(3500_000);
    expect(lifetime).toBeLessThanOrEqual(3601_000);
  });
});
