import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePki } from '../control-plane/apiserver/pki';
import type { Pki } from '../control-plane/apiserver/pki';
import { VERIFY_ACCEPT, VERIFY_USE_CHROMIUM, verifyCertificate } from './trust';

describe('verifyCertificate (the window trusts our CA for loopback only)', () => {
  let dirs: string[] = [];
  let ours: Pki;
  let theirs: Pki;

  beforeAll(async () => {
    dirs = await Promise.all([
      mkdtemp(join(tmpdir(), 'flotilla-trust-a-')),
      mkdtemp(join(tmpdir(), 'flotilla-trust-b-')),
    ]);
    [ours, theirs] = (await Promise.all(dirs.map((d) => ensurePki(d, { hosts: ['127.0.0.1'] })))) as [
      Pki,
      Pki,
    ];
  });
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('accepts our serving certificate on 127.0.0.1 and localhost', () => {
    const anchor = { caPem: ours.caPem };
    expect(verifyCertificate({ hostname: '127.0.0.1', certPem: ours.serving.certPem }, anchor)).toBe(
      VERIFY_ACCEPT,
    );
    expect(ours.serving.sans.dnsNames).toContain('localhost');
    expect(verifyCertificate({ hostname: 'localhost', certPem: ours.serving.certPem }, anchor)).toBe(
      VERIFY_ACCEPT,
    );
  });

  it('defers to Chromium for certificates of another CA, for other hosts, and for garbage', () => {
    const anchor = { caPem: ours.caPem };
    expect(verifyCertificate({ hostname: '127.0.0.1', certPem: theirs.serving.certPem }, anchor)).toBe(
      VERIFY_USE_CHROMIUM,
    );
    // Our own CA's certificate is not a serving certificate issued by it (it is self-issued, but not
    // for the host): the leaf must name the host.
    expect(verifyCertificate({ hostname: '127.0.0.1', certPem: ours.caPem }, anchor)).toBe(
      VERIFY_USE_CHROMIUM,
    );
    expect(verifyCertificate({ hostname: 'example.com', certPem: ours.serving.certPem }, anchor)).toBe(
      VERIFY_USE_CHROMIUM,
    );
    expect(verifyCertificate({ hostname: '10.0.0.5', certPem: ours.serving.certPem }, anchor)).toBe(
      VERIFY_USE_CHROMIUM,
    );
    expect(verifyCertificate({ hostname: '127.0.0.1', certPem: 'not a certificate' }, anchor)).toBe(
      VERIFY_USE_CHROMIUM,
    );
  });

  it('defers to Chromium for an expired certificate', () => {
    const later = new Date(Date.now() + 20 * 365 * 24 * 3600 * 1000);
    expect(
      verifyCertificate(
        { hostname: '127.0.0.1', certPem: ours.serving.certPem },
        { caPem: ours.caPem },
        later,
      ),
    ).toBe(VERIFY_USE_CHROMIUM);
  });
});
