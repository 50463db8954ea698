// The cluster's certificate authority: one self-signed ECDSA certificate whose key signs the API
// server's serving certificate and every client certificate (admin, later nodes). Its private key
// never leaves the data dir.
import * as x509 from './x509';
import type { CryptoKey } from './keys';
import {
  crypto,
  generateKeyPair,
  KEY_ALGORITHM,
  privateKeyFromPem,
  privateKeyToPem,
  randomSerialNumber,
  SIGNING_ALGORITHM,
} from './keys';

export interface CertificateAuthority {
  cert: x509.X509Certificate;
  /** The CA certificate in PEM: what clients trust (kubeconfig certificate-authority-data). */
  certPem: string;
  /** The signing key. Kept in memory only by the process that issues certificates. */
  key: CryptoKey;
  keyPem: string;
}

export const CA_VALIDITY_DAYS = 3650;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Certificates start slightly in the past so a peer whose clock lags a little still accepts them. */
export function validityWindow(days: number, now: Date): { notBefore: Date; notAfter: Date } {
  return {
    notBefore: new Date(now.getTime() - 5 * 60 * 1000),
    notAfter: new Date(now.getTime() + days * DAY_MS),
  };
}

export async function createCertificateAuthority(
  options: { commonName?: string; days?: number; now?: Date } = {},
): Promise<CertificateAuthority> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerialNumber(),
      name: [{ CN: [options.commonName ?? 'flotilla-ca'] }, { O: ['Flotilla'] }],
      ...validityWindow(options.days ?? CA_VALIDITY_DAYS, options.now ?? new Date()),
      signingAlgorithm: SIGNING_ALGORITHM,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return {
    cert,
    certPem: cert.toString('pem'),
    key: keys.privateKey,
    keyPem: await privateKeyToPem(keys.privateKey),
  };
}

/** Rebuilds a CA from its PEM files, checking that the key really belongs to the certificate. */
export async function loadCertificateAuthority(
  certPem: string,
  keyPem: string,
): Promise<CertificateAuthority> {
  const cert = new x509.X509Certificate(certPem);
  const key = await privateKeyFromPem(keyPem);
  if (!(await keyMatchesCertificate(key, cert))) {
    throw new Error('the CA private key does not match the CA certificate');
  }
  return { cert, certPem: cert.toString('pem'), key, keyPem };
}

/** Signs a probe with the private key and verifies it with the certificate's public key. */
export async function keyMatchesCertificate(key: CryptoKey, cert: x509.X509Certificate): Promise<boolean> {
  const probe = crypto.getRandomValues(new Uint8Array(32));
  const signature = await crypto.subtle.sign(SIGNING_ALGORITHM, key, probe);
  const publicKey = await cert.publicKey.export(KEY_ALGORITHM, ['verify'], crypto);
  return crypto.subtle.verify(SIGNING_ALGORITHM, publicKey, signature, probe);
}
