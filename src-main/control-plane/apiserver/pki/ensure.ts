// The cluster's PKI on disk, under DATA_DIR/pki/:
//   ca.crt ca.key              the cluster CA (10 years); created once, then only ever reloaded
//   apiserver.crt apiserver.key  the API server's serving certificate; re-issued whenever it no longer
//                              fits (SANs not covered, expiring, not from this CA, unreadable)
// Keys are 0600 and the folder 0700. A broken CA is an error, never silently replaced: every issued
// certificate (admin kubeconfig, nodes) would stop working.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as x509 from './x509';
import type { CryptoKey } from './keys';
import type { Logger } from '../../../platform/logger';
import type { CertificateAuthority } from './ca';
import { createCertificateAuthority, keyMatchesCertificate, loadCertificateAuthority } from './ca';
import { PkiError } from './errors';
import { readOptional, SECRET_DIR_MODE, SECRET_FILE_MODE, writeFileAtomic } from './files';
import type { IssuedCertificate } from './issue';
import { certificateSans, isIssuedBy, issueServingCertificate } from './issue';
import { privateKeyFromPem } from './keys';
import type { SanSet } from './names';
import { sansCover, servingSans } from './names';

export const PKI_DIR = 'pki';
export const PKI_FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  servingCert: 'apiserver.crt',
  servingKey: 'apiserver.key',
  tokens: 'tokens.json',
} as const;

/** A serving certificate this close to expiry is replaced at start-up. */
const RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;

export interface EnsurePkiOptions {
  /** Extra host names and IPs clients will dial (the listen address, a LAN name…). */
  hosts?: string[];
  /** Defaults to os.hostname(). */
  hostname?: string;
  now?: () => Date;
  log?: Logger;
}

export interface Pki {
  dir: string;
  ca: CertificateAuthority;
  caPem: string;
  serving: IssuedCertificate & { sans: SanSet };
  /** What this call had to create (false: reloaded as it was). */
  created: { ca: boolean; serving: boolean };
}

export async function ensurePki(dataDir: string, options: EnsurePkiOptions = {}): Promise<Pki> {
  const dir = path.join(dataDir, PKI_DIR);
  const now = options.now ?? (() => new Date());
  const file = (name: string) => path.join(dir, name);
  try {
    await fs.mkdir(dir, { recursive: true, mode: SECRET_DIR_MODE });
    await fs.chmod(dir, SECRET_DIR_MODE);
  } catch (err) {
    throw new PkiError('PkiIo', `cannot create ${dir}: ${(err as Error).message}`, dir, { cause: err });
  }

  const { ca, created: caCreated } = await ensureCa(file(PKI_FILES.caCert), file(PKI_FILES.caKey), now());
  if (caCreated) options.log?.info('created cluster CA', { path: file(PKI_FILES.caCert) });

  const want = servingSans(options.hosts ?? [], options.hostname);
  const certPath = file(PKI_FILES.servingCert);
  const keyPath = file(PKI_FILES.servingKey);
  const existing = await readPair(certPath, keyPath);
  const problem = existing ? await servingProblem(existing, ca, want, now()) : 'missing';
  if (!problem && existing) {
    await fs.chmod(keyPath, SECRET_FILE_MODE);
    const sans = certificateSans(new x509.X509Certificate(existing.certPem));
    return {
      dir,
      ca,
      caPem: ca.certPem,
      serving: { ...existing, sans },
      created: { ca: caCreated, serving: false },
    };
  }

  // Keep whatever names the old certificate had too, so adding a host never drops another.
  const sans = existing && problem === 'sans' ? union(want, sansOf(existing.certPem)) : want;
  const serving = await issueServingCertificate(ca, { sans, now: now() });
  await writeFileAtomic(keyPath, serving.keyPem);
  await writeFileAtomic(certPath, serving.certPem, 0o644);
  if (problem !== 'missing') options.log?.info('re-issued API server certificate', { reason: problem });
  return {
    dir,
    ca,
    caPem: ca.certPem,
    serving: { ...serving, sans },
    created: { ca: caCreated, serving: true },
  };
}

/** TLS options for the API server's `https.createServer`: client certificates are requested, checked
 * against the cluster CA, and left to the authenticator (so a request without one can still carry a token). */
export function serverTlsOptions(pki: Pick<Pki, 'caPem' | 'serving'>): {
  key: string;
  cert: string;
  ca: string;
  requestCert: true;
  rejectUnauthorized: false;
} {
  return {
    key: pki.serving.keyPem,
    cert: pki.serving.certPem,
    ca: pki.caPem,
    requestCert: true,
    rejectUnauthorized: false,
  };
}

async function ensureCa(
  certPath: string,
  keyPath: string,
  now: Date,
): Promise<{ ca: CertificateAuthority; created: boolean }> {
  const pair = await readPair(certPath, keyPath);
  if (pair) {
    try {
      await fs.chmod(keyPath, SECRET_FILE_MODE);
      return { ca: await loadCertificateAuthority(pair.certPem, pair.keyPem), created: false };
    } catch (err) {
      throw new PkiError(
        'PkiCorrupt',
        `the cluster CA in ${path.dirname(certPath)} is unusable: ${(err as Error).message}`,
        certPath,
        {
          cause: err,
        },
      );
    }
  }
  const ca = await createCertificateAuthority({ now });
  // Key first: a cert without its key would read as corrupt on the next start, a key alone is rewritten.
  await writeFileAtomic(keyPath, ca.keyPem);
  await writeFileAtomic(certPath, ca.certPem, 0o644);
  return { ca, created: true };
}

/** Both files, or undefined when the certificate is missing. A certificate without its key is corrupt. */
async function readPair(certPath: string, keyPath: string): Promise<IssuedCertificate | undefined> {
  let certPem: string | undefined;
  let keyPem: string | undefined;
  try {
    [certPem, keyPem] = await Promise.all([readOptional(certPath), readOptional(keyPath)]);
  } catch (err) {
    throw new PkiError('PkiIo', `cannot read ${certPath}: ${(err as Error).message}`, certPath, {
      cause: err,
    });
  }
  if (certPem === undefined) return undefined;
  if (keyPem === undefined)
    throw new PkiError('PkiCorrupt', `${certPath} exists but its key ${keyPath} does not`, keyPath);
  return { certPem, keyPem };
}

type ServingProblem = 'missing' | 'unreadable' | 'foreign-ca' | 'expiring' | 'sans' | 'key-mismatch';

async function servingProblem(
  pair: IssuedCertificate,
  ca: CertificateAuthority,
  want: SanSet,
  now: Date,
): Promise<ServingProblem | undefined> {
  let cert: x509.X509Certificate;
  let key: CryptoKey;
  try {
    cert = new x509.X509Certificate(pair.certPem);
    key = await privateKeyFromPem(pair.keyPem);
  } catch {
    return 'unreadable';
  }
  if (!(await isIssuedBy(cert, ca))) return 'foreign-ca';
  if (cert.notAfter.getTime() - now.getTime() < RENEW_BEFORE_MS || cert.notBefore > now) return 'expiring';
  if (!sansCover(certificateSans(cert), want)) return 'sans';
  if (!(await keyMatchesCertificate(key, cert))) return 'key-mismatch';
  return undefined;
}

function sansOf(certPem: string): SanSet {
  return certificateSans(new x509.X509Certificate(certPem));
}

function union(a: SanSet, b: SanSet): SanSet {
  return {
    dnsNames: [...new Set([...a.dnsNames, ...b.dnsNames])].sort(),
    ips: [...new Set([...a.ips, ...b.ips])].sort(),
  };
}
