// The files an SSH machine's agent gets (config.json and its PEMs), kept in
// `<dataDir>/machines/<name>/` so a re-run of the enrollment uploads exactly the same release (same
// checksums: nothing is sent, the agent is not restarted). The node's client identity does not travel:
// the config carries a single-use bootstrap token (15 minutes) with which the agent requests a
// certificate for a key it makes itself (agent/bootstrap). A re-run keeps the release while its token
// is still good or has been exchanged (the node has its certificate); only a token that expired or was
// spent without a certificate to show for it is replaced, and with it the release. The agent API's
// serving certificate (SANs: the machine's address) is still issued here.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomTokenText } from '../../control-plane/apiserver/auth/tokens';
import { issueServingCertificate } from '../../control-plane/apiserver/pki/issue';
import {
  BOOTSTRAP_TOKEN_NAMESPACE,
  BOOTSTRAP_TOKEN_PATTERN,
  bootstrapTokenSecret,
  bootstrapTokenSecretName,
  csrCondition,
  TOKEN_EXPIRATION_KEY,
  type CertificateSigningRequest,
} from '../../shared/bootstrap';
import { isKubeApiError } from '../../shared/kube/types';
import type { KubeApi, KubeObjectLike } from '../../shared/kube/types';
import { resourceFor } from '../../shared/resources';
import { loadClusterCa } from '../docker/node-files';
import type { RemoteLayout } from './remote';

export const MACHINES_DIR = 'machines';
/** How long a pushed bootstrap token may wait for the agent to use it. */
export const BOOTSTRAP_TOKEN_TTL_MS = 15 * 60_000;
/** A token closer than this to expiring is replaced rather than pushed again. */
const TOKEN_MARGIN_MS = 60_000;

const PEM_FILES = ['ca.crt', 'serving.crt', 'serving.key'] as const;
/** What earlier releases shipped and no longer do: the node's client key never leaves the node now. */
const RETIRED_FILES = ['client.crt', 'client.key'];
const SECRETS = resourceFor('', 'secrets');
const NODES = resourceFor('', 'nodes');
const CSRS = resourceFor('certificates.k8s.io', 'certificatesigningrequests');

export interface MachineFilesOptions {
  dataDir: string;
  machineName: string;
  nodeName: string;
  /** https://HOST:PORT as the machine reaches the API server. */
  apiServer: string;
  /** The machine's address (a SAN of the agent's serving certificate; the Node's InternalIP if an IP). */
  address: string;
  layout: RemoteLayout;
  labels?: Record<string, string>;
  taints?: unknown[];
  /** Creates and checks bootstrap tokens (Secrets in kube-system). */
  api: KubeApi;
  now?: () => Date;
  tokenTtlMs?: number;
}

export interface MachineFiles {
  /** name → content, for installRelease. */
  files: Record<string, Buffer>;
  /** A short digest of the files (with the agent's): the release version. */
  digest: string;
}

export function machineDir(dataDir: string, name: string): string {
  return path.join(dataDir, MACHINES_DIR, name);
}

async function readAll(dir: string): Promise<Record<string, Buffer> | undefined> {
  try {
    const out: Record<string, Buffer> = {};
    for (const f of [...PEM_FILES, 'config.json']) out[f] = await readFile(path.join(dir, f));
    return out;
  } catch {
    return undefined;
  }
}

function configText(config: Record<string, unknown>): Buffer {
  return Buffer.from(`${JSON.stringify(config, null, 2)}\n`);
}

/**
 * Whether the token in a pushed release still serves: it can still be exchanged, or it already was
 * (the node has a certificate: its Node exists or the token's request was issued).
 */
async function tokenStillServes(options: MachineFilesOptions, token: unknown, now: Date): Promise<boolean> {
  const id = typeof token === 'string' ? BOOTSTRAP_TOKEN_PATTERN.exec(token)?.[1] : undefined;
  if (!id) return false;
  const secret = await getOptional<KubeObjectLike & { data?: Record<string, string> }>(() =>
    options.api.get(SECRETS, bootstrapTokenSecretName(id), BOOTSTRAP_TOKEN_NAMESPACE),
  );
  const expiration = secret?.data?.[TOKEN_EXPIRATION_KEY];
  const expiresAt = expiration ? Date.parse(Buffer.from(expiration, 'base64').toString('utf8')) : NaN;
  if (secret && expiresAt - TOKEN_MARGIN_MS > now.getTime()) return true;
  if (await getOptional(() => options.api.get(NODES, options.nodeName))) return true;
  const csrs = await options.api.list<CertificateSigningRequest & KubeObjectLike>(CSRS);
  return csrs.items.some(
    (c) =>
      c.spec.username === `system:bootstrap:${id}` &&
      Boolean(c.status?.certificate) &&
      csrCondition(c, 'Approved'),
  );
}

async function getOptional<T>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (err) {
    if (isKubeApiError(err, 404)) return undefined;
    throw err;
  }
}

/** Creates a bootstrap token bound to the node and returns its text (`<id>.<secret>`). */
export async function createNodeBootstrapToken(
  api: KubeApi,
  options: { nodeName: string; machineName: string; expiration: Date },
): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const tokenId = randomTokenText(6);
    const tokenSecret = randomTokenText(16);
    try {
      await api.create(
        SECRETS,
        bootstrapTokenSecret({
          tokenId,
          tokenSecret,
          expiration: options.expiration,
          nodeName: options.nodeName,
          description: `joins machine ${options.machineName} as node ${options.nodeName}`,
          labels: { 'flotilla.dev/machine': options.machineName },
        }) as unknown as KubeObjectLike,
        BOOTSTRAP_TOKEN_NAMESPACE,
      );
      return `${tokenId}.${tokenSecret}`;
    } catch (err) {
      // Two tokens with one id: draw again (36^6 ids make this rare).
      if (!isKubeApiError(err, 409) || attempt >= 3) throw err;
    }
  }
}

/** The machine's files: reused while their token serves, else with a new token (and, when the config changed, new certificates). */
export async function ensureMachineFiles(options: MachineFilesOptions): Promise<Record<string, Buffer>> {
  const dir = machineDir(options.dataDir, options.machineName);
  const now = options.now?.() ?? new Date();
  const isIP = /^(\d{1,3}\.){3}\d{1,3}$/.test(options.address) || options.address.includes(':');
  const config: Record<string, unknown> = {
    apiServer: options.apiServer,
    nodeName: options.nodeName,
    caFile: 'ca.crt',
    servingCertFile: 'serving.crt',
    servingKeyFile: 'serving.key',
    rootDir: options.layout.stateDir,
    ...(isIP && !options.address.includes(':') ? { nodeIP: options.address } : {}),
    labels: { 'flotilla.dev/transport': 'ssh', ...options.labels },
    ...(options.taints && options.taints.length > 0 ? { taints: options.taints } : {}),
  };
  const existing = await readAll(dir);
  let existingConfig: Record<string, unknown> | undefined;
  try {
    existingConfig = existing
      ? (JSON.parse(existing['config.json']!.toString('utf8')) as Record<string, unknown>)
      : undefined;
  } catch {
    existingConfig = undefined;
  }
  const { bootstrapToken: existingToken, ...existingBase } = existingConfig ?? {};
  const sameConfig = existing !== undefined && configText(existingBase).equals(configText(config));
  if (sameConfig && (await tokenStillServes(options, existingToken, now))) return existing;

  const ca = await loadClusterCa(options.dataDir);
  const serving =
    sameConfig && existing
      ? {
          certPem: existing['serving.crt']!.toString('utf8'),
          keyPem: existing['serving.key']!.toString('utf8'),
        }
      : await issueServingCertificate(ca, {
          commonName: options.nodeName,
          sans: {
            dnsNames: [options.nodeName, 'localhost', ...(isIP ? [] : [options.address.toLowerCase()])],
            ips: ['127.0.0.1', ...(isIP ? [options.address] : [])],
          },
        });
  // The token being replaced (expired, or spent without a certificate) goes: it can do nothing more.
  const oldId =
    typeof existingToken === 'string' ? BOOTSTRAP_TOKEN_PATTERN.exec(existingToken)?.[1] : undefined;
  if (oldId)
    await getOptional(() =>
      options.api.delete(SECRETS, bootstrapTokenSecretName(oldId), BOOTSTRAP_TOKEN_NAMESPACE),
    );
  const token = await createNodeBootstrapToken(options.api, {
    nodeName: options.nodeName,
    machineName: options.machineName,
    expiration: new Date(now.getTime() + (options.tokenTtlMs ?? BOOTSTRAP_TOKEN_TTL_MS)),
  });
  const files: Record<string, Buffer> = {
    'ca.crt': Buffer.from(ca.certPem),
    'serving.crt': Buffer.from(serving.certPem),
    'serving.key': Buffer.from(serving.keyPem),
    'config.json': configText({ ...config, bootstrapToken: token }),
  };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const [name, data] of Object.entries(files))
    await writeFile(path.join(dir, name), data, {
      mode: name.endsWith('.key') || name === 'config.json' ? 0o600 : 0o644,
    });
  for (const name of RETIRED_FILES) await rm(path.join(dir, name), { force: true });
  return files;
}

export function releaseDigest(files: Record<string, Buffer>): string {
  const h = createHash('sha256');
  for (const name of Object.keys(files).sort()) h.update(name).update('\0').update(files[name]!).update('\0');
  return h.digest('hex').slice(0, 16);
}

export async function removeMachineFiles(dataDir: string, name: string): Promise<void> {
  await rm(machineDir(dataDir, name), { recursive: true, force: true });
}
