// kubeconfig files in the format kubectl and @kubernetes/client-node read: certificates inline as
// base64 (`*-data` fields) so the file is self-contained and can be copied to another machine.
import fs from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { PkiError } from './errors';
import { writeFileAtomic } from './files';

export type KubeconfigUser = { certPem: string; keyPem: string } | { token: string };

export interface KubeconfigSpec {
  clusterName: string;
  /** https://HOST:PORT */
  server: string;
  caPem: string;
  user: KubeconfigUser;
  /** Defaults to `<clusterName>-admin`. */
  userName?: string;
  /** Defaults to clusterName. */
  contextName?: string;
  namespace?: string;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

export function renderKubeconfig(spec: KubeconfigSpec): string {
  const userName = spec.userName ?? `${spec.clusterName}-admin`;
  const contextName = spec.contextName ?? spec.clusterName;
  const user =
    'token' in spec.user
      ? { token: spec.user.token }
      : { 'client-certificate-data': b64(spec.user.certPem), 'client-key-data': b64(spec.user.keyPem) };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: spec.clusterName,
        cluster: { server: spec.server, 'certificate-authority-data': b64(spec.caPem) },
      },
    ],
    users: [{ name: userName, user }],
    contexts: [
      {
        name: contextName,
        context: {
          cluster: spec.clusterName,
          user: userName,
          ...(spec.namespace ? { namespace: spec.namespace } : {}),
        },
      },
    ],
    'current-context': contextName,
    preferences: {},
  };
  return YAML.stringify(config);
}

/** Writes the kubeconfig with mode 0600 (it holds a private key or a token), replacing any old one. */
export async function writeKubeconfig(file: string, spec: KubeconfigSpec): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, renderKubeconfig(spec));
}

/** The current context's connection details, e.g. for tests and tools that make their own requests. */
export interface KubeconfigCredentials {
  server: string;
  caPem: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  namespace?: string;
}

interface RawKubeconfig {
  'current-context'?: string;
  clusters?: { name: string; cluster?: { server?: string; 'certificate-authority-data'?: string } }[];
  users?: {
    name: string;
    user?: { token?: string; 'client-certificate-data'?: string; 'client-key-data'?: string };
  }[];
  contexts?: { name: string; context?: { cluster?: string; user?: string; namespace?: string } }[];
}

export async function readKubeconfig(file: string): Promise<KubeconfigCredentials> {
  const raw = YAML.parse(await fs.readFile(file, 'utf8')) as RawKubeconfig | null;
  const invalid = (why: string) => new PkiError('KubeconfigInvalid', `${file}: ${why}`, file);
  const context = raw?.contexts?.find((c) => c.name === raw['current-context'])?.context;
  if (!context) throw invalid('no current context');
  const cluster = raw?.clusters?.find((c) => c.name === context.cluster)?.cluster;
  const user = raw?.users?.find((u) => u.name === context.user)?.user ?? {};
  if (!cluster?.server || !cluster['certificate-authority-data'])
    throw invalid('the cluster has no server or CA data');
  const creds: KubeconfigCredentials = {
    server: cluster.server,
    caPem: unb64(cluster['certificate-authority-data']),
  };
  if (user['client-certificate-data'] && user['client-key-data']) {
    creds.certPem = unb64(user['client-certificate-data']);
    creds.keyPem = unb64(user['client-key-data']);
  }
  if (user.token) creds.token = user.token;
  if (context.namespace) creds.namespace = context.namespace;
  return creds;
}
