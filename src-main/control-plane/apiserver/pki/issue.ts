// Leaf certificates signed by the cluster CA: the API server's serving certificate and client
// certificates. Kubernetes reads a client certificate's CN as the user name and each O as a group,
// so `CN=flotilla-admin, O=system:masters` is a cluster admin and
// `CN=system:node:NAME, O=system:nodes` is the kubelet of node NAME.
import * as x509 from './x509';
import type { CertificateAuthority } from './ca';
import { validityWindow } from './ca';
import { crypto, generateKeyPair, privateKeyToPem, randomSerialNumber, SIGNING_ALGORITHM } from './keys';
import type { SanSet } from './names';
import { canonicalIp } from './names';

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

export const SERVING_VALIDITY_DAYS = 365;

export interface ClientCertificateRequest {
  commonName: string;
  organizations?: string[];
  days?: number;
  now?: Date;
}

export async function issueClientCertificate(
  ca: CertificateAuthority,
  request: ClientCertificateRequest,
): Promise<IssuedCertificate> {
  const subject: x509.JsonName = [{ CN: [request.commonName] }];
  // One RDN per organization: Go's pkix and Node both read every O back as a separate value.
  for (const org of request.organizations ?? []) subject.push({ O: [org] });
  return issue(ca, subject, request.days ?? 365, request.now ?? new Date(), [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
  ]);
}

export async function issueServingCertificate(
  ca: CertificateAuthority,
  options: { commonName?: string; sans: SanSet; days?: number; now?: Date },
): Promise<IssuedCertificate> {
  const names: x509.JsonGeneralNames = [
    ...options.sans.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...options.sans.ips.map((value) => ({ type: 'ip' as const, value })),
  ];
  return issue(
    ca,
    [{ CN: [options.commonName ?? 'flotilla-apiserver'] }],
    options.days ?? SERVING_VALIDITY_DAYS,
    options.now ?? new Date(),
    [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(names, false),
    ],
  );
}

async function issue(
  ca: CertificateAuthority,
  subject: x509.JsonName,
  days: number,
  now: Date,
  extensions: x509.Extension[],
): Promise<IssuedCertificate> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialNumber(),
      subject,
      issuer: ca.cert.subject,
      ...validityWindow(days, now),
      signingAlgorithm: SIGNING_ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: ca.key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false, crypto),
        ...extensions,
      ],
    },
    crypto,
  );
  return { certPem: cert.toString('pem'), keyPem: await privateKeyToPem(keys.privateKey) };
}

/** The DNS names and IPs a certificate covers, IPs in canonical form. */
export function certificateSans(cert: x509.X509Certificate): SanSet {
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const sans: SanSet = { dnsNames: [], ips: [] };
  for (const name of ext?.names.items ?? []) {
    if (name.type === 'dns') sans.dnsNames.push(name.value.toLowerCase());
    if (name.type === 'ip') sans.ips.push(canonicalIp(name.value) ?? name.value);
  }
  return sans;
}

/** Whether `cert` was signed by `ca` (signature check, not just a matching issuer name). */
export async function isIssuedBy(cert: x509.X509Certificate, ca: CertificateAuthority): Promise<boolean> {
  try {
    return await cert.verify({ publicKey: ca.cert.publicKey, signatureOnly: true }, crypto);
  } catch {
    return false;
  }
}
