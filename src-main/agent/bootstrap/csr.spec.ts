import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createNodeKeyAndCsr } from './csr';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

describe('the node key and certificate request', () => {
  // Parsed and verified by the same library the control plane uses to check it.
  it('is an ECDSA P-256 key and a self-signed PKCS#10 request for CN=system:node:NAME, O=system:nodes', async () => {
    const { keyPem, csrPem } = await createNodeKeyAndCsr('node-a');
    const key = createPrivateKey(keyPem);
    expect(key.asymmetricKeyType).toBe('ec');
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');

    const req = new x509.Pkcs10CertificateRequest(csrPem);
    expect(req.subject).toBe('CN=system:node:node-a, O=system:nodes');
    expect(await req.verify(webcrypto as never)).toBe(true);
    // The request certifies the public half of exactly this key.
    const fromKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
    expect(Buffer.from(req.publicKey.rawData).equals(fromKey)).toBe(true);
    expect(csrPem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(req.signatureAlgorithm).toMatchObject({ name: 'ECDSA', hash: { name: 'SHA-256' } });
  });

  it('encodes long names (multi-byte DER lengths) that still parse and verify', async () => {
    const long = `n${'x'.repeat(200)}`;
    const { csrPem } = await createNodeKeyAndCsr(long);
    const req = new x509.Pkcs10CertificateRequest(csrPem);
    expect(req.subject).toBe(`CN=system:node:${long}, O=system:nodes`);
    expect(await req.verify(webcrypto as never)).toBe(true);
  });

  it('makes a new key every time', async () => {
    const a = await createNodeKeyAndCsr('n');
    const b = await createNodeKeyAndCsr('n');
    expect(a.keyPem).not.toBe(b.keyPem);
  });
});
