// Loads a kubeconfig file (the format kubectl reads) into the options of the Node transport, so the
// controllers, the CLI and tests connect exactly as kubectl would: the current (or a named) context,
// its cluster's server and CA, and its user's client certificate or token, inline or as file paths.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import YAML from 'yaml';
import { createKubeApi } from '../../shared/kube/client';
// The .ts extension is explicit: tsx, which runs the CLI, would otherwise take `.node` for a native addon.
import { createNodeTransport } from '../../shared/node/https-transport';
import type { NodeTransport, NodeTransportOptions } from '../../shared/node/https-transport';
import type { KubeApi } from '../../shared/kube/types';

export class KubeconfigError extends Error {
  readonly code = 'KubeconfigInvalid';
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'KubeconfigError';
  }
}

export interface KubeconfigConnection extends NodeTransportOptions {
  /** The context's default namespace (`default` when unset). */
  namespace: string;
  contextName: string;
}

interface RawNamed<T> {
  name?: string;
  [k: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

type RawCluster = {
  server?: string;
  'certificate-authority-data'?: string;
  'certificate-authority'?: string;
};
type RawUser = {
  token?: string;
  tokenFile?: string;
  'client-certificate-data'?: string;
  'client-certificate'?: string;
  'client-key-data'?: string;
  'client-key'?: string;
};
type RawContext = { cluster?: string; user?: string; namespace?: string };

interface RawKubeconfig {
  'current-context'?: string;
  clusters?: RawNamed<RawCluster>[];
  users?: RawNamed<RawUser>[];
  contexts?: RawNamed<RawContext>[];
}

const fromBase64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

/** Parses kubeconfig text. Relative file references resolve against `baseDir`. */
export async function parseKubeconfig(
  text: string,
  file: string,
  options: { context?: string; baseDir?: string } = {},
): Promise<KubeconfigConnection> {
  let raw: RawKubeconfig | null;
  try {
    raw = YAML.parse(text) as RawKubeconfig | null;
  } catch (err) {
    throw new KubeconfigError(`not valid YAML: ${(err as Error).message}`, file);
  }
  const baseDir = options.baseDir ?? dirname(file);
  const contextName = options.context ?? raw?.['current-context'];
  if (!contextName) throw new KubeconfigError('no current-context and no context given', file);
  const context = raw?.contexts?.find((c) => c.name === contextName)?.context;
  if (!context) throw new KubeconfigError(`context "${contextName}" not found`, file);
  const cluster = raw?.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster?.server) throw new KubeconfigError(`cluster "${context.cluster ?? ''}" has no server`, file);
  const user = raw?.users?.find((u) => u.name === context.user)?.user ?? {};

  const readRef = (p: string) => readFile(isAbsolute(p) ? p : resolve(baseDir, p), 'utf8');
  const pick = async (data: string | undefined, path: string | undefined) =>
    data ? fromBase64(data) : path ? await readRef(path) : undefined;

  const conn: KubeconfigConnection = {
    server: cluster.server,
    namespace: context.namespace || 'default',
    contextName,
  };
  const caPem = await pick(cluster['certificate-authority-data'], cluster['certificate-authority']);
  const certPem = await pick(user['client-certificate-data'], user['client-certificate']);
  const keyPem = await pick(user['client-key-data'], user['client-key']);
  const token = user.token ?? (user.tokenFile ? (await readRef(user.tokenFile)).trim() : undefined);
  if (caPem) conn.caPem = caPem;
  if (certPem) conn.certPem = certPem;
  if (keyPem) conn.keyPem = keyPem;
  if (token) conn.token = token;
  if (Boolean(certPem) !== Boolean(keyPem))
    throw new KubeconfigError('a client certificate needs its key (and a key its certificate)', file);
  return conn;
}

export async function loadKubeconfig(
  file: string,
  options: { context?: string } = {},
): Promise<KubeconfigConnection> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new KubeconfigError(`cannot read: ${(err as Error).message}`, file);
  }
  return parseKubeconfig(text, file, options);
}

/** A ready client for a kubeconfig: the KubeApi, its transport (close it when done) and the namespace. */
export async function kubeApiFromKubeconfig(
  file: string,
  options: { context?: string; userAgent?: string } = {},
): Promise<{ api: KubeApi; transport: NodeTransport; namespace: string }> {
  const conn = await loadKubeconfig(file, options);
  const transport = createNodeTransport({
    ...conn,
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
  });
  return { api: createKubeApi(transport), transport, namespace: conn.namespace };
}
