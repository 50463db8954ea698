// Issues a certificate for the public key of an approved request, signed by the cluster CA (what
// kube-controller-manager does with --cluster-signing-cert-file/--cluster-signing-key-file). The
// private key never comes here: only the request's public key is certified.
import type { CertificateAuthority } from '../../apiserver/pki/ca';
import { validityWindow } from '../../apiserver/pki/ca';
import { crypto, randomSerialNumber, SIGNING_ALGORITHM } from '../../apiserver/pki/keys';
import * as x509 from '../../apiserver/pki/x509';
import type { KeyUsage } from '../../../shared/bootstrap';

export interface SignRequest {
  /** The request's public key (from the verified PKCS#10 request). */
  publicKey: x509.PublicKey;
  commonName: string;
  organizations: string[];
  usages: readonly KeyUsage[];
  /** Requested lifetime; capped at the signer's maximum. */
  expirationSeconds?: number;
}

export interface CertificateSigner {
  /** The signed certificate, PEM. */
  sign(request: SignRequest): Promise<string>;
}

/** Kubernetes' default --cluster-signing-duration. */
export const MAX_CERTIFICATE_SECONDS = 365 * 24 * 3600;

const EXTENDED: Partial<Record<KeyUsage, string>> = {
  'client auth': x509.ExtendedKeyUsage.clientAuth,
  'server auth': x509.ExtendedKeyUsage.serverAuth,
};
const KEY_USAGE_FLAGS: Partial<Record<KeyUsage, number>> = {
  'digital signature': x509.KeyUsageFlags.digitalSignature,
  'key encipherment': x509.KeyUsageFlags.keyEncipherment,
};

export function createCaSigner(
  ca: CertificateAuthority,
  now: () => Date = () => new Date(),
): CertificateSigner {
  return {
    async sign(request) {
      const seconds = Math.min(request.expirationSeconds ?? MAX_CERTIFICATE_SECONDS, MAX_CERTIFICATE_SECONDS);
      const { notBefore } = validityWindow(1, now());
      const notAfter = new Date(now().getTime() + seconds * 1000);
      const subject: x509.JsonName = [{ CN: [request.commonName] }];
      for (const org of request.organizations) subject.push({ O: [org] });
      const flags = request.usages.reduce((f, u) => f | (KEY_USAGE_FLAGS[u] ?? 0), 0);
      const eku = request.usages.map((u) => EXTENDED[u]).filter((o): o is string => o !== undefined);
      const cert = await x509.X509CertificateGenerator.create(
        {
          serialNumber: randomSerialNumber(),
          subject,
          issuer: ca.cert.subject,
          notBefore,
          notAfter,
          signingAlgorithm: SIGNING_ALGORITHM,
          publicKey: request.publicKey,
          signingKey: ca.key,
          extensions: [
            new x509.BasicConstraintsExtension(false, undefined, true),
            new x509.KeyUsagesExtension(flags || x509.KeyUsageFlags.digitalSignature, true),
            await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false, crypto),
            ...(eku.length > 0 ? [new x509.ExtendedKeyUsageExtension(eku, false)] : []),
          ],
        },
        crypto,
      );
      return cert.toString('pem');
    },
  };
}
