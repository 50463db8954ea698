// The files an SSH machine's agent gets (config.json and its PEMs), made once and kept in
// `<dataDir>/machines/<name>/` so a re-run of the enrollment uploads exactly the same release (same
// checksums: nothing is sent, the agent is not restarted). The certificates come from the same CA
// helpers Docker enrollment uses: a client certificate for system:node:NAME and a serving certificate
// for the agent API with the machine's address in its SANs.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { nodeIdentity } from '../../control-plane/apiserver/pki';
import { issueClientCertificate, issueServingCertificate } from '../../control-plane/apiserver/pki/issue';
import { loadClusterCa } from '../docker/node-files';
import type { RemoteLayout } from './remote';

export const MACHINES_DIR = 'machines';

const PEM_FILES = ['ca.crt', 'client.crt', 'client.key', 'serving.crt', 'serving.key'] as const;

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

/** The machine's files, made (certificates issued) on the first call and reused when the config is unchanged. */
export async function ensureMachineFiles(options: MachineFilesOptions): Promise<Record<string, Buffer>> {
  const dir = machineDir(options.dataDir, options.machineName);
  const isIP = /^(\d{1,3}\.){3}\d{1,3}$/.test(options.address) || options.address.includes(':');
  const config = {
    apiServer: options.apiServer,
    nodeName: options.nodeName,
    caFile: 'ca.crt',
    clientCertFile: 'client.crt',
    clientKeyFile: 'client.key',
    servingCertFile: 'serving.crt',
    servingKeyFile: 'serving.key',
    rootDir: options.layout.stateDir,
    ...(isIP && !options.address.includes(':') ? { nodeIP: options.address } : {}),
    labels: { 'flotilla.dev/transport': 'ssh', ...options.labels },
    ...(options.taints && options.taints.length > 0 ? { taints: options.taints } : {}),
  };
  const configText = Buffer.from(`${JSON.stringify(config, null, 2)}\n`);
  const existing = await readAll(dir);
  if (existing && existing['config.json']!.equals(configText)) return existing;

  const ca = await loadClusterCa(options.dataDir);
  const client = await issueClientCertificate(ca, nodeIdentity(options.nodeName));
  const serving = await issueServingCertificate(ca, {
    commonName: options.nodeName,
    sans: {
      dnsNames: [options.nodeName, 'localhost', ...(isIP ? [] : [options.address.toLowerCase()])],
      ips: ['127.0.0.1', ...(isIP ? [options.address] : [])],
    },
  });
  const files: Record<string, Buffer> = {
    'ca.crt': Buffer.from(ca.certPem),
    'client.crt': Buffer.from(client.certPem),
    'client.key': Buffer.from(client.keyPem),
    'serving.crt': Buffer.from(serving.certPem),
    'serving.key': Buffer.from(serving.keyPem),
    'config.json': configText,
  };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const [name, data] of Object.entries(files))
    await writeFile(path.join(dir, name), data, {
      mode: name.endsWith('.key') || name === 'config.json' ? 0o600 : 0o644,
    });
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
