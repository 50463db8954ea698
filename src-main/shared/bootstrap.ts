// The contract of TLS bootstrapping (Kubernetes' kubelet TLS bootstrap, with a single-use twist): a
// bootstrap token lives in a Secret `bootstrap-token-<id>` in kube-system; an agent presents
// `<id>.<secret>` as a bearer token, creates a CertificateSigningRequest for its own key, and the
// control plane signs it and deletes the token. Used by the API server, the signing controller,
// enrollment and the agent, so it imports nothing.

export const BOOTSTRAP_TOKEN_NAMESPACE = 'kube-system';
export const BOOTSTRAP_TOKEN_SECRET_PREFIX = 'bootstrap-token-';
export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_USER_PREFIX = 'system:bootstrap:';
export const GROUP_BOOTSTRAPPERS = 'system:bootstrappers';
/** Flotilla's binding of a token to the one node name it may obtain credentials for. */
export const BOOTSTRAP_NODE_ANNOTATION = 'flotilla.dev/bootstrap-node-name';

/** Secret data keys (k8s.io/cluster-bootstrap/token/api). */
export const TOKEN_ID_KEY = 'token-id';
export const TOKEN_SECRET_KEY = 'token-secret';
export const TOKEN_EXPIRATION_KEY = 'expiration';
export const TOKEN_USAGE_AUTHENTICATION_KEY = 'usage-bootstrap-authentication';
export const TOKEN_DESCRIPTION_KEY = 'description';

export const TOKEN_ID_PATTERN = /^[a-z0-9]{6}$/;
export const TOKEN_SECRET_PATTERN = /^[a-z0-9]{16}$/;
/** `<id>.<secret>`: the bearer token text. */
export const BOOTSTRAP_TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

/** The signer of node agents' client certificates (CN=system:node:NAME, O=system:nodes). */
export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const NODE_USER_PREFIX = 'system:node:';
export const GROUP_NODES = 'system:nodes';

export type KeyUsage =
  | 'signing'
  | 'digital signature'
  | 'content commitment'
  | 'key encipherment'
  | 'key agreement'
  | 'data encipherment'
  | 'cert sign'
  | 'crl sign'
  | 'encipher only'
  | 'decipher only'
  | 'any'
  | 'server auth'
  | 'client auth'
  | 'code signing'
  | 'email protection'
  | 's/mime'
  | 'ipsec end system'
  | 'ipsec tunnel'
  | 'ipsec user'
  | 'timestamping'
  | 'ocsp signing'
  | 'microsoft sgc'
  | 'netscape sgc';

export const KEY_USAGES: readonly KeyUsage[] = [
  'signing',
  'digital signature',
  'content commitment',
  'key encipherment',
  'key agreement',
  'data encipherment',
  'cert sign',
  'crl sign',
  'encipher only',
  'decipher only',
  'any',
  'server auth',
  'client auth',
  'code signing',
  'email protection',
  's/mime',
  'ipsec end system',
  'ipsec tunnel',
  'ipsec user',
  'timestamping',
  'ocsp signing',
  'microsoft sgc',
  'netscape sgc',
];

/** The usages a node client certificate is requested with (an ECDSA key needs no key encipherment). */
export const NODE_CLIENT_USAGES: readonly KeyUsage[] = ['digital signature', 'client auth'];

export type CsrConditionType = 'Approved' | 'Denied' | 'Failed';

export interface CsrCondition {
  type: CsrConditionType | string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface CertificateSigningRequest {
  apiVersion?: 'certificates.k8s.io/v1';
  kind?: 'CertificateSigningRequest';
  metadata: {
    name?: string;
    generateName?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    /** Base64 of the PEM `CERTIFICATE REQUEST`. */
    request: string;
    signerName: string;
    usages?: KeyUsage[];
    expirationSeconds?: number;
    /** Set by the API server from the requesting user; clients cannot choose them. */
    username?: string;
    uid?: string;
    groups?: string[];
    extra?: Record<string, string[]>;
  };
  status?: {
    conditions?: CsrCondition[];
    /** Base64 of the PEM certificate chain, set by the signer. */
    certificate?: string;
  };
}

/** The condition of a type whose status is True, if any. */
export function csrCondition(
  csr: Pick<CertificateSigningRequest, 'status'>,
  type: CsrConditionType,
): CsrCondition | undefined {
  return csr.status?.conditions?.find((c) => c.type === type && (c.status ?? 'True') === 'True');
}

/** The secret's name for a token id. */
export function bootstrapTokenSecretName(tokenId: string): string {
  return `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${tokenId}`;
}

/** The token id of a bootstrap user (`system:bootstrap:<id>`), or undefined for any other user. */
export function tokenIdOfUser(userName: string | undefined): string | undefined {
  if (!userName?.startsWith(BOOTSTRAP_USER_PREFIX)) return undefined;
  const id = userName.slice(BOOTSTRAP_USER_PREFIX.length);
  return TOKEN_ID_PATTERN.test(id) ? id : undefined;
}

/** The node name of a node identity's CN (`system:node:<name>`), or undefined. */
export function nodeNameOfCommonName(cn: string | undefined): string | undefined {
  if (!cn?.startsWith(NODE_USER_PREFIX)) return undefined;
  return cn.slice(NODE_USER_PREFIX.length) || undefined;
}

export interface BootstrapTokenSecretOptions {
  tokenId: string;
  tokenSecret: string;
  expiration: Date;
  /** The one node name the token may obtain credentials for. */
  nodeName: string;
  description?: string;
  labels?: Record<string, string>;
}

/** The Secret that makes `<tokenId>.<tokenSecret>` a bootstrap token bound to one node name. */
export function bootstrapTokenSecret(options: BootstrapTokenSecretOptions): {
  apiVersion: 'v1';
  kind: 'Secret';
  type: string;
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations: Record<string, string>;
  };
  stringData: Record<string, string>;
} {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    metadata: {
      name: bootstrapTokenSecretName(options.tokenId),
      namespace: BOOTSTRAP_TOKEN_NAMESPACE,
      ...(options.labels ? { labels: options.labels } : {}),
      annotations: { [BOOTSTRAP_NODE_ANNOTATION]: options.nodeName },
    },
    stringData: {
      [TOKEN_ID_KEY]: options.tokenId,
      [TOKEN_SECRET_KEY]: options.tokenSecret,
      // RFC 3339 without fractions, as kubeadm writes it.
      [TOKEN_EXPIRATION_KEY]: options.expiration.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      [TOKEN_USAGE_AUTHENTICATION_KEY]: 'true',
      ...(options.description ? { [TOKEN_DESCRIPTION_KEY]: options.description } : {}),
    },
  };
}
