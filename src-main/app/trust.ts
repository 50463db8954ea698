// Which TLS certificates the window accepts beyond the operating system's roots: exactly those of our
// API server, i.e. a certificate for a loopback host that chains to the cluster's own CA. Everything
// else is left to Chromium's normal verification. Plain Node (node:crypto), no Electron.
import { X509Certificate } from 'node:crypto';

/** Electron's setCertificateVerifyProc verdicts. */
export const VERIFY_ACCEPT = 0;
export const VERIFY_REJECT = -2;
export const VERIFY_USE_CHROMIUM = -3;

export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', 'localhost', '::1', '[::1]'];

export interface CertificateCheck {
  hostname: string;
  /** The server's leaf certificate, PEM. */
  certPem: string;
}

export interface TrustAnchor {
  /** The cluster CA that issued the API server's serving certificate, PEM. */
  caPem: string;
  /** Hosts the anchor applies to (default: loopback only). */
  hosts?: readonly string[];
}

/**
 * Accept (0) when the host is ours and the certificate is issued and signed by our CA, currently
 * valid and made out for that host; otherwise defer to Chromium (-3), which rejects it unless the
 * OS trusts its issuer. We never reject outright: that would override a valid public certificate.
 */
export function verifyCertificate(check: CertificateCheck, anchor: TrustAnchor, now = new Date()): number {
  const hosts = anchor.hosts ?? LOOPBACK_HOSTS;
  if (!hosts.includes(check.hostname)) return VERIFY_USE_CHROMIUM;
  try {
    const ca = new X509Certificate(anchor.caPem);
    const leaf = new X509Certificate(check.certPem);
    if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) return VERIFY_USE_CHROMIUM;
    if (now < new Date(leaf.validFrom) || now > new Date(leaf.validTo)) return VERIFY_USE_CHROMIUM;
    const host = check.hostname.replace(/^\[|\]$/g, '');
    const matches = /^[\d.]+$/.test(host) || host.includes(':') ? leaf.checkIP(host) : leaf.checkHost(host);
    return matches ? VERIFY_ACCEPT : VERIFY_USE_CHROMIUM;
  } catch {
    return VERIFY_USE_CHROMIUM;
  }
}
