// The decisions of the CSR controller as pure functions, so every rule is tested on its own:
// - checkNodeClientRequest: is this a well-formed node client certificate request (the signer
//   kubernetes.io/kube-apiserver-client-kubelet signs nothing else): subject exactly
//   CN=system:node:NAME, O=system:nodes, no SANs, usages client auth (+ digital signature / key
//   encipherment), a valid self-signature.
// - reviewBootstrapRequest: may it be approved automatically? Only when it came from a bootstrap token
//   whose Secret still exists, is unexpired, and binds the token to exactly that node name.
import type { CertificateSigningRequest, KeyUsage } from '../../../shared/bootstrap';
import {
  BOOTSTRAP_NODE_ANNOTATION,
  GROUP_BOOTSTRAPPERS,
  GROUP_NODES,
  nodeNameOfCommonName,
  tokenIdOfUser,
} from '../../../shared/bootstrap';
import { isTokenExpired } from '../../apiserver/auth/bootstrap-tokens';
import type { BootstrapTokenSecret } from '../../apiserver/auth/bootstrap-tokens';
import { crypto } from '../../apiserver/pki/keys';
import * as x509 from '../../apiserver/pki/x509';

const ALLOWED_USAGES: ReadonlySet<KeyUsage> = new Set([
  'digital signature',
  'key encipherment',
  'client auth',
]);

export interface ParsedNodeRequest {
  nodeName: string;
  publicKey: x509.PublicKey;
  commonName: string;
  organizations: string[];
  usages: KeyUsage[];
}

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string; message: string };

const fail = (reason: string, message: string): { ok: false; reason: string; message: string } => ({
  ok: false,
  reason,
  message,
});

function decodeRequest(b64: string): x509.Pkcs10CertificateRequest | undefined {
  try {
    return new x509.Pkcs10CertificateRequest(Buffer.from(b64, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Parses and checks a request for a node client certificate. */
export async function checkNodeClientRequest(
  csr: CertificateSigningRequest,
): Promise<Checked<ParsedNodeRequest>> {
  const request = decodeRequest(csr.spec.request);
  if (!request) return fail('InvalidRequest', 'spec.request is not a PEM certificate request');
  const signed = await request.verify(crypto).catch(() => false);
  if (!signed) return fail('InvalidRequest', 'the certificate request is not signed by its own key');
  const name = request.subjectName.toJSON();
  const cns = name.flatMap((rdn) => rdn.CN ?? []);
  const orgs = name.flatMap((rdn) => rdn.O ?? []);
  const others = name.flatMap((rdn) => Object.keys(rdn).filter((k) => k !== 'CN' && k !== 'O'));
  const nodeName = cns.length === 1 ? nodeNameOfCommonName(cns[0]) : undefined;
  if (!nodeName || orgs.length !== 1 || orgs[0] !== GROUP_NODES || others.length > 0)
    return fail(
      'InvalidSubject',
      `the subject must be exactly CN=system:node:<name>, O=${GROUP_NODES}; got ${request.subject}`,
    );
  if (request.extensions.some((e) => e.type === '2.5.29.17'))
    return fail(
      'InvalidRequest',
      'a node client certificate request may not carry subject alternative names',
    );
  const usages = csr.spec.usages ?? [];
  if (!usages.includes('client auth') || usages.some((u) => !ALLOWED_USAGES.has(u)))
    return fail(
      'InvalidUsages',
      `usages must be "client auth" with optionally "digital signature" and "key encipherment"; got ${JSON.stringify(usages)}`,
    );
  return {
    ok: true,
    value: { nodeName, publicKey: request.publicKey, commonName: cns[0]!, organizations: orgs, usages },
  };
}

export type Review =
  /** Not for automatic approval (not from a bootstrap token): a person decides. */
  | { decision: 'skip'; message: string }
  | { decision: 'approve'; reason: string; message: string; tokenId: string }
  | { decision: 'deny'; reason: string; message: string };

/**
 * Whether a bootstrap token's request may be approved. `secret` is the token's Secret as it is now
 * (undefined when it is gone); `parsed` the result of checkNodeClientRequest.
 */
export function reviewBootstrapRequest(
  csr: CertificateSigningRequest,
  parsed: Checked<ParsedNodeRequest>,
  secret: (BootstrapTokenSecret & { metadata?: { annotations?: Record<string, string> } }) | undefined,
  now: Date,
): Review {
  const tokenId = tokenIdOfUser(csr.spec.username);
  if (!tokenId || !(csr.spec.groups ?? []).includes(GROUP_BOOTSTRAPPERS))
    return {
      decision: 'skip',
      message: `requested by ${JSON.stringify(csr.spec.username ?? '')}, not by a bootstrap token`,
    };
  if (!parsed.ok) return { decision: 'deny', reason: parsed.reason, message: parsed.message };
  if (!secret)
    return {
      decision: 'deny',
      reason: 'TokenNotFound',
      message: `bootstrap token ${tokenId} no longer exists (spent or deleted)`,
    };
  if (isTokenExpired(secret, now))
    return { decision: 'deny', reason: 'TokenExpired', message: `bootstrap token ${tokenId} has expired` };
  const bound = secret.metadata?.annotations?.[BOOTSTRAP_NODE_ANNOTATION];
  if (!bound)
    return {
      decision: 'deny',
      reason: 'TokenNotBound',
      message: `bootstrap token ${tokenId} is not bound to a node name (annotation ${BOOTSTRAP_NODE_ANNOTATION})`,
    };
  if (parsed.value.nodeName !== bound)
    return {
      decision: 'deny',
      reason: 'NodeNameMismatch',
      message: `bootstrap token ${tokenId} may only join as node "${bound}", not "${parsed.value.nodeName}"`,
    };
  return {
    decision: 'approve',
    reason: 'AutoApproved',
    message: `Auto approving node client certificate for "${bound}": requested with its bootstrap token ${tokenId}`,
    tokenId,
  };
}
