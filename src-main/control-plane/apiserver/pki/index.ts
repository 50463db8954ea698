// The API server's PKI: cluster CA, serving certificate, client certificates and kubeconfig files.
export type { CertificateAuthority } from './ca';
export { createCertificateAuthority, loadCertificateAuthority } from './ca';
export type { EnsurePkiOptions, Pki } from './ensure';
export { ensurePki, PKI_DIR, PKI_FILES, serverTlsOptions } from './ensure';
export { PkiError } from './errors';
export type { PkiErrorCode } from './errors';
export type { ClientCertificateRequest, IssuedCertificate } from './issue';
export { certificateSans, issueClientCertificate, issueServingCertificate } from './issue';
export type { KubeconfigCredentials, KubeconfigSpec, KubeconfigUser } from './kubeconfig';
export { readKubeconfig, renderKubeconfig, writeKubeconfig } from './kubeconfig';
export type { SanSet } from './names';
export { servingSans } from './names';

/** The identity of the kubeconfig Flotilla writes for its owner: a cluster admin. */
export const ADMIN_IDENTITY = { commonName: 'flotilla-admin', organizations: ['system:masters'] } as const;

/** The identity a node's agent authenticates with (Kubernetes' node authorizer convention). */
export function nodeIdentity(nodeName: string): { commonName: string; organizations: string[] } {
  return { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'] };
}
