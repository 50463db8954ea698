// The node's client identity, obtained by TLS bootstrapping when the config carries a bootstrap token
// instead of a certificate:
//   1. a certificate stored by an earlier run (<rootDir>/pki/client.{crt,key}) that is still valid, for
//      this node, from this cluster's CA, and matches its key is reused — a restart needs no token;
//   2. otherwise a fresh key and CSR are made here (csr.ts) and, authenticated with the token, the agent
//      opens a watch on the CSR's name, then creates the CSR, and waits for the signed certificate. The
//      watch comes first because the token is spent (its Secret deleted) the moment the certificate is
//      issued: a request made after that could no longer authenticate;
//   3. key and certificate are written with mode 0600 and the agent continues with them.
import { randomBytes, X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CertificateSigningRequest } from '../../shared/bootstrap';
import {
  csrCondition,
  KUBELET_CLIENT_SIGNER,
  NODE_CLIENT_USAGES,
  NODE_USER_PREFIX,
} from '../../shared/bootstrap';
import { errorFromResponse } from '../../shared/kube/client';
import { isKubeApiError } from '../../shared/kube/types';
import type { Transport } from '../../shared/kube/types';
import { createNodeTransport } from '../../shared/node/https-transport';
import { collectionPath, resourceFor } from '../../shared/resources';
import type { AgentConfig, AgentSettings } from '../config';
import { AgentConfigError } from '../config';
import { createNodeKeyAndCsr } from './csr';

export const CREDENTIALS_DIR = 'pki';
export const CLIENT_CERT_FILE = 'client.crt';
export const CLIENT_KEY_FILE = 'client.key';
const CSRS = resourceFor('certificates.k8s.io', 'certificatesigningrequests');

export type BootstrapErrorCode =
  'TokenRejected' | 'Denied' | 'Failed' | 'Timeout' | 'BadCertificate' | 'Request';

export class BootstrapError extends Error {
  override readonly name = 'BootstrapError';
  constructor(
    readonly code: BootstrapErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface BootstrapDeps {
  log?: (message: string) => void;
  now?: () => Date;
  /** How long to wait for the certificate (default 5 min: a person may have to approve). */
  timeoutMs?: number;
  /** The API client transport (default: HTTPS with the token, verifying the cluster CA). */
  transport?: Transport;
}

export interface ClientCredentials {
  clientCertPem: string;
  clientKeyPem: string;
}

export function credentialPaths(rootDir: string): { dir: string; cert: string; key: string } {
  const dir = path.join(rootDir, CREDENTIALS_DIR);
  return { dir, cert: path.join(dir, CLIENT_CERT_FILE), key: path.join(dir, CLIENT_KEY_FILE) };
}

/** Why a certificate is not usable for this node, or undefined when it is. */
export function credentialProblem(
  creds: ClientCredentials,
  nodeName: string,
  caPem: string,
  now: Date,
): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(creds.clientCertPem);
  } catch (err) {
    return `not a certificate: ${(err as Error).message}`;
  }
  const ca = new X509Certificate(caPem);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return 'not issued by the cluster CA';
  if (Date.parse(cert.validTo) <= now.getTime()) return `expired at ${cert.validTo}`;
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
  if (cn !== `${NODE_USER_PREFIX}${nodeName}`) return `issued to ${cn ?? 'nobody'}, not to node ${nodeName}`;
  try {
    if (!cert.checkPrivateKey(createPrivateKey(creds.clientKeyPem))) return 'does not match the stored key';
  } catch (err) {
    return `unreadable key: ${(err as Error).message}`;
  }
  return undefined;
}

async function readStored(rootDir: string): Promise<ClientCredentials | undefined> {
  const p = credentialPaths(rootDir);
  try {
    return { clientCertPem: await readFile(p.cert, 'utf8'), clientKeyPem: await readFile(p.key, 'utf8') };
  } catch {
    return undefined;
  }
}

/** Writes key and certificate, each 0600, each atomically (a crash leaves the old pair or none). */
export async function storeCredentials(rootDir: string, creds: ClientCredentials): Promise<void> {
  const p = credentialPaths(rootDir);
  await mkdir(p.dir, { recursive: true, mode: 0o700 });
  for (const [file, text] of [
    [p.key, creds.clientKeyPem],
    [p.cert, creds.clientCertPem],
  ] as const) {
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, file);
  }
}

/**
 * The settings with a client identity: configured, stored by an earlier run, or obtained now with the
 * bootstrap token. Throws AgentConfigError when there is neither a certificate nor a token.
 */
export async function ensureClientCredentials(
  settings: AgentSettings,
  deps: BootstrapDeps = {},
): Promise<AgentConfig> {
  const log = deps.log ?? (() => undefined);
  const now = deps.now ?? (() => new Date());
  if (settings.clientCertPem && settings.clientKeyPem)
    return { ...settings, clientCertPem: settings.clientCertPem, clientKeyPem: settings.clientKeyPem };
  const stored = await readStored(settings.rootDir);
  if (stored) {
    const problem = credentialProblem(stored, settings.nodeName, settings.caPem, now());
    if (!problem) return { ...settings, ...stored };
    log(`ignoring the stored client certificate: ${problem}`);
  }
  if (!settings.bootstrapToken)
    throw new AgentConfigError(
      'ConfigMissing',
      'required (or bootstrapToken, to request one)',
      'clientCertPem',
    );
  const creds = await bootstrapClientCredentials(settings, settings.bootstrapToken, deps);
  await storeCredentials(settings.rootDir, creds);
  log(`stored the node's client certificate in ${credentialPaths(settings.rootDir).dir}`);
  return { ...settings, ...creds };
}

/** Requests a client certificate for a fresh key with the bootstrap token and waits for it. */
export async function bootstrapClientCredentials(
  settings: Pick<AgentSettings, 'apiServer' | 'caPem' | 'nodeName'>,
  token: string,
  deps: BootstrapDeps = {},
): Promise<ClientCredentials> {
  const log = deps.log ?? (() => undefined);
  const transport =
    deps.transport ??
    createNodeTransport({
      server: settings.apiServer,
      caPem: settings.caPem,
      token,
      userAgent: 'flotilla-agent-bootstrap',
    });
  const { keyPem, csrPem } = await createNodeKeyAndCsr(settings.nodeName);
  const name = `node-csr-${settings.nodeName.slice(0, 200)}-${randomBytes(4).toString('hex')}`;
  const abort = new AbortController();
  const timeoutMs = deps.timeoutMs ?? 5 * 60_000;

  let watching!: () => void;
  const established = new Promise<void>((resolve) => (watching = resolve));
  let settle!: { resolve: (pem: string) => void; reject: (err: Error) => void };
  const outcome = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  // Settled by whichever comes first; a late rejection (the watch ending after an error) is not news.
  outcome.catch(() => undefined);
  const onEvent = (line: unknown) => {
    const ev = line as {
      type?: string;
      object?: CertificateSigningRequest & { metadata: { annotations?: Record<string, string> } };
    };
    const obj = ev.object;
    if (ev.type === 'BOOKMARK') {
      if (obj?.metadata.annotations?.['k8s.io/initial-events-end'] === 'true') watching();
      return;
    }
    if (ev.type === 'ERROR')
      return settle.reject(new BootstrapError('Request', `watch failed: ${JSON.stringify(obj)}`));
    if (!obj || obj.metadata.name !== name) return;
    const denied = csrCondition(obj, 'Denied');
    const failed = csrCondition(obj, 'Failed');
    if (denied)
      return settle.reject(
        new BootstrapError(
          'Denied',
          `certificate request ${name} was denied: ${denied.reason ?? ''} ${denied.message ?? ''}`.trim(),
        ),
      );
    if (failed)
      return settle.reject(
        new BootstrapError(
          'Failed',
          `certificate request ${name} failed: ${failed.reason ?? ''} ${failed.message ?? ''}`.trim(),
        ),
      );
    if (obj.status?.certificate)
      settle.resolve(Buffer.from(obj.status.certificate, 'base64').toString('utf8'));
  };
  const watch = transport
    .stream(
      {
        method: 'GET',
        path: collectionPath(CSRS),
        query: {
          watch: 'true',
          fieldSelector: `metadata.name=${name}`,
          sendInitialEvents: 'true',
          allowWatchBookmarks: 'true',
          resourceVersionMatch: 'NotOlderThan',
          timeoutSeconds: Math.ceil(timeoutMs / 1000),
        },
        signal: abort.signal,
      },
      onEvent,
    )
    .then(
      () =>
        settle.reject(
          new BootstrapError('Request', `the watch on ${name} ended before a certificate was issued`),
        ),
      (err: unknown) => settle.reject(asBootstrapError(err)),
    );
  const timer = setTimeout(
    () =>
      settle.reject(
        new BootstrapError(
          'Timeout',
          `no certificate for ${name} within ${Math.round(timeoutMs / 1000)} s: is it approved? (kubectl certificate approve ${name})`,
        ),
      ),
    timeoutMs,
  );
  try {
    await Promise.race([established, outcome]);
    const body: CertificateSigningRequest = {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name },
      spec: {
        request: Buffer.from(csrPem).toString('base64'),
        signerName: KUBELET_CLIENT_SIGNER,
        usages: [...NODE_CLIENT_USAGES],
      },
    };
    const res = await transport.request({
      method: 'POST',
      path: collectionPath(CSRS),
      body,
      signal: abort.signal,
    });
    if (res.status < 200 || res.status > 299) throw asBootstrapError(errorFromResponse(res));
    log(`requested a client certificate for node ${settings.nodeName} (certificate signing request ${name})`);
    const certPem = await outcome;
    const creds = { clientCertPem: certPem, clientKeyPem: keyPem };
    const cert = new X509Certificate(certPem);
    if (!cert.checkPrivateKey(createPrivateKey(keyPem)))
      throw new BootstrapError(
        'BadCertificate',
        `the certificate issued for ${name} is not for this node's key`,
      );
    return creds;
  } finally {
    clearTimeout(timer);
    abort.abort();
    await watch;
  }
}

function asBootstrapError(err: unknown): BootstrapError {
  if (err instanceof BootstrapError) return err;
  if (isKubeApiError(err, 401))
    return new BootstrapError(
      'TokenRejected',
      'the API server rejected the bootstrap token: it is unknown, expired or already spent',
      { cause: err },
    );
  return new BootstrapError(
    'Request',
    `certificate request failed: ${(err as Error)?.message ?? String(err)}`,
    { cause: err },
  );
}
