// A Docker node's folder, `<dataDir>/nodes/<name>/`: everything its agent needs, mounted into the
// agent container at the same path (so paths in it mean the same inside and out):
//   config.json                 the agent's config (src-main/agent/config.ts), PEMs by relative file
//   ca.crt                      the cluster CA
//   client.crt client.key       the node's identity towards the API server (system:node:NAME)
//   serving.crt serving.key     the agent API's certificate (SANs: this machine's IPs and the name)
//   agent.mjs                   the agent bundle it runs
//   root/                       the agent's rootDir (pod volumes)
//   node.json                   how the node was enrolled (which engine, container, image), for
//                               `flotilla node remove` and `flotilla image load`
import { chmod, copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AGENT_PORT } from '../../shared/agent-api';
import { loadCertificateAuthority } from '../../control-plane/apiserver/pki/ca';
import type { CertificateAuthority } from '../../control-plane/apiserver/pki/ca';
import { PKI_DIR, PKI_FILES } from '../../control-plane/apiserver/pki/ensure';
import { issueClientCertificate, issueServingCertificate } from '../../control-plane/apiserver/pki/issue';
import { nodeIdentity } from '../../control-plane/apiserver/pki';
import { EnrollmentError } from './errors';

export const NODES_DIR = 'nodes';
/** Where the host's /etc (os-release, machine-id) is mounted in the agent container. */
export const HOST_ROOT = '/host';

export interface NodeRecord {
  transport: 'docker';
  nodeName: string;
  /** The engine, as connectEngine takes it (unix:///var/run/docker.sock, tcp://…). */
  dockerHost: string;
  containerName: string;
  image: string;
  agentPort: number;
  networkName: string;
  createdAt: string;
}

export function nodeDir(dataDir: string, name: string): string {
  return path.join(dataDir, NODES_DIR, name);
}

export async function loadClusterCa(dataDir: string): Promise<CertificateAuthority> {
  const dir = path.join(dataDir, PKI_DIR);
  let certPem: string;
  let keyPem: string;
  try {
    [certPem, keyPem] = await Promise.all([
      readFile(path.join(dir, PKI_FILES.caCert), 'utf8'),
      readFile(path.join(dir, PKI_FILES.caKey), 'utf8'),
    ]);
  } catch (err) {
    throw new EnrollmentError(
      'ControlPlaneUnavailable',
      `cannot read the cluster CA in ${dir} (${(err as Error).message}): run this on the machine of the control plane, with its --data-dir`,
      { cause: err },
    );
  }
  return loadCertificateAuthority(certPem, keyPem);
}

/** This machine's IPv4 addresses (the agent listens on all of them with host networking). */
export function hostIPs(): string[] {
  const ips = new Set<string>(['127.0.0.1']);
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4') ips.add(a.address);
  }
  return [...ips].sort();
}

export interface WriteNodeFilesOptions {
  dataDir: string;
  nodeName: string;
  apiServer: string;
  ca: CertificateAuthority;
  bundlePath: string;
  agentPort?: number;
  /** The engine as the agent inside its container reaches it. */
  agentDockerHost: string;
  networkName?: string;
  /** Labels and taints the Node gets when it registers (a Machine's spec.labels / spec.taints). */
  labels?: Record<string, string>;
  taints?: unknown[];
}

const PEM_FILES = ['ca.crt', 'client.crt', 'client.key', 'serving.crt', 'serving.key'] as const;

async function readOr(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch {
    return undefined;
  }
}

/**
 * Writes the node's folder. Idempotent: when the folder already holds this config (same API server,
 * port, labels…) and its certificates, they are kept, so a re-run does not disturb a running agent;
 * `changed` says whether anything the agent reads at start-up was rewritten.
 */
export async function writeNodeFiles(
  options: WriteNodeFilesOptions,
): Promise<{ dir: string; rootDir: string; configPath: string; changed: boolean }> {
  const dir = nodeDir(options.dataDir, options.nodeName);
  const rootDir = path.join(dir, 'root');
  await mkdir(rootDir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const config = {
    apiServer: options.apiServer,
    nodeName: options.nodeName,
    caFile: 'ca.crt',
    clientCertFile: 'client.crt',
    clientKeyFile: 'client.key',
    servingCertFile: 'serving.crt',
    servingKeyFile: 'serving.key',
    port: options.agentPort ?? AGENT_PORT,
    rootDir,
    dockerHost: options.agentDockerHost,
    hostRoot: HOST_ROOT,
    ...(options.networkName ? { networkName: options.networkName } : {}),
    labels: { 'flotilla.dev/transport': 'docker', ...options.labels },
    ...(options.taints && options.taints.length > 0 ? { taints: options.taints } : {}),
  };
  const configText = Buffer.from(`${JSON.stringify(config, null, 2)}\n`);
  const configPath = path.join(dir, 'config.json');
  let changed = false;
  const existing = await readOr(configPath);
  const pems = await Promise.all(PEM_FILES.map((f) => readOr(path.join(dir, f))));
  const caNow = (await readOr(path.join(dir, 'ca.crt')))?.toString('utf8');
  if (!existing?.equals(configText) || pems.some((p) => !p) || caNow !== options.ca.certPem) {
    const client = await issueClientCertificate(options.ca, nodeIdentity(options.nodeName));
    const serving = await issueServingCertificate(options.ca, {
      commonName: options.nodeName,
      sans: { dnsNames: [options.nodeName, os.hostname().toLowerCase(), 'localhost'], ips: hostIPs() },
    });
    const files: Record<string, string> = {
      'ca.crt': options.ca.certPem,
      'client.crt': client.certPem,
      'client.key': client.keyPem,
      'serving.crt': serving.certPem,
      'serving.key': serving.keyPem,
    };
    for (const [name, text] of Object.entries(files))
      await writeFile(path.join(dir, name), text, { mode: name.endsWith('.key') ? 0o600 : 0o644 });
    await writeFile(configPath, configText, { mode: 0o600 });
    changed = true;
  }
  const agentPath = path.join(dir, 'agent.mjs');
  const [bundle, current] = await Promise.all([readFile(options.bundlePath), readOr(agentPath)]);
  if (!current?.equals(bundle)) {
    await copyFile(options.bundlePath, agentPath);
    changed = true;
  }
  return { dir, rootDir, configPath, changed };
}

export async function writeNodeRecord(dataDir: string, record: NodeRecord): Promise<void> {
  await writeFile(
    path.join(nodeDir(dataDir, record.nodeName), 'node.json'),
    `${JSON.stringify(record, null, 2)}\n`,
  );
}

export async function readNodeRecord(dataDir: string, name: string): Promise<NodeRecord | undefined> {
  try {
    return JSON.parse(await readFile(path.join(nodeDir(dataDir, name), 'node.json'), 'utf8')) as NodeRecord;
  } catch {
    return undefined;
  }
}

export async function listNodeRecords(dataDir: string): Promise<NodeRecord[]> {
  let names: string[];
  try {
    names = await readdir(path.join(dataDir, NODES_DIR));
  } catch {
    return [];
  }
  const records = await Promise.all(names.map((n) => readNodeRecord(dataDir, n)));
  return records.filter((r): r is NodeRecord => r !== undefined);
}
