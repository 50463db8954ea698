// `flotilla node add ssh` and the SSH half of `flotilla node remove`, as API clients: create the
// Secret and the Machine, then follow the Machine's status (the enrollment controller in `flotilla
// server` does the work) and print each step as it changes. The host key is accepted up front
// (--accept-host-key), interactively, with --yes, or the command stops and says which flag to pass.
import path from 'node:path';
import { kubeApiFromKubeconfig } from '../../control-plane/client/kubeconfig';
import { isKubeApiError } from '../../shared/kube/types';
import type { KubeApi, KubeObjectLike } from '../../shared/kube/types';
import { MACHINE_API_VERSION, MACHINE_KIND, type Machine, type MachineStep } from '../../shared/machine';
import { MACHINES, SECRETS } from './enroll';
import { failureReason, normalizeSteps } from './status';

export interface SshNodeOptions {
  dataDir: string;
  kubeconfig?: string;
  /** USER@HOST[:PORT] */
  destination: string;
  privateKey?: string;
  password?: string;
  name?: string;
  acceptHostKey?: string;
  /** USER@HOST[:PORT] of a jump host (`ssh -J`); it logs in with the same key or password. */
  jump?: string;
  /** The jump host's key to accept (SHA256:…). */
  acceptJumpHostKey?: string;
  /** Accept the fingerprints the host (and the jump host) show without asking. */
  yes?: boolean;
  /** Ask the user (a terminal); absent: non-interactive. `host` is the destination or the jump host. */
  confirm?: (fingerprint: string, host: string) => Promise<boolean>;
  timeoutMs?: number;
  progress: (line: string) => void;
}

export class SshNodeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EnrollmentError';
  }
}

type MachineObject = Machine & KubeObjectLike;

export function parseDestination(text: string): { user: string; host: string; port: number } {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new SshNodeError('InvalidArgument', `"${text}" is not USER@HOST[:PORT]`);
  const port = m[3] ? Number(m[3]) : 22;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new SshNodeError('InvalidArgument', `"${m[3]}" is not a port`);
  return { user: m[1] ?? 'root', host: m[2]!.replace(/^\[|\]$/g, ''), port };
}

/** A node name from the host: lower-case DNS characters. */
export function nodeNameFor(host: string): string {
  return (
    host
      .toLowerCase()
      .replace(/[^a-z0-9.-]/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '') || 'machine'
  );
}

async function cluster(options: Pick<SshNodeOptions, 'dataDir' | 'kubeconfig'>) {
  const file = options.kubeconfig ?? path.join(options.dataDir, 'kubeconfig');
  try {
    return await kubeApiFromKubeconfig(file, { userAgent: 'flotilla-node' });
  } catch (err) {
    throw new SshNodeError(
      'ControlPlaneUnavailable',
      `cannot use the kubeconfig ${file}: ${(err as Error).message} (is \`flotilla server\` running?)`,
    );
  }
}

function stepLine(s: MachineStep): string {
  const mark = { pending: '…', running: '→', done: '✓', failed: '✗', skipped: '-' }[s.state];
  return `${mark} ${s.name}${s.message ? `: ${s.message}` : ''}`;
}

export async function addSshNode(options: SshNodeOptions): Promise<{ nodeName: string; ms: number }> {
  const started = Date.now();
  const dest = parseDestination(options.destination);
  const name = options.name ?? nodeNameFor(dest.host);
  const jump = options.jump ? parseDestination(options.jump) : undefined;
  if (options.acceptJumpHostKey && !jump)
    throw new SshNodeError('InvalidArgument', '--accept-jump-host-key needs --jump USER@HOST[:PORT]');
  if (!options.privateKey && options.password === undefined)
    throw new SshNodeError('InvalidArgument', 'give a key (--key FILE) or a password (--password-stdin)');
  const client = await cluster(options);
  const api = client.api;
  try {
    const machine: MachineObject = {
      apiVersion: MACHINE_API_VERSION,
      kind: MACHINE_KIND,
      metadata: { name },
      spec: {
        type: 'ssh',
        ssh: {
          address: dest.host,
          port: dest.port,
          user: dest.user,
          ...(options.privateKey
            ? { privateKeySecretRef: { name: `machine-${name}-ssh`, namespace: 'default' } }
            : {}),
          ...(options.password !== undefined
            ? { passwordSecretRef: { name: `machine-${name}-ssh`, namespace: 'default' } }
            : {}),
          ...(options.acceptHostKey ? { hostKeyFingerprint: options.acceptHostKey } : {}),
          ...(jump
            ? {
                jump: {
                  address: jump.host,
                  port: jump.port,
                  user: jump.user,
                  ...(options.acceptJumpHostKey ? { hostKeyFingerprint: options.acceptJumpHostKey } : {}),
                },
              }
            : {}),
        },
      },
    };
    // The Secret first (the controller reads it as soon as the Machine exists), then the Machine; then
    // the Secret is made the Machine's dependent so the garbage collector deletes it with the Machine.
    const secretName = `machine-${name}-ssh`;
    const data = {
      ...(options.privateKey ? { 'ssh-privatekey': Buffer.from(options.privateKey).toString('base64') } : {}),
      ...(options.password !== undefined
        ? { password: Buffer.from(options.password).toString('base64') }
        : {}),
    };
    try {
      await api.get(MACHINES, name);
      throw new SshNodeError(
        'MachineExists',
        `a machine named "${name}" exists already; remove it with \`flotilla node remove ${name}\` or choose another --name`,
      );
    } catch (err) {
      if (!isKubeApiError(err, 404)) throw err;
    }
    await api.delete(SECRETS, secretName, 'default').catch((err: unknown) => {
      if (!isKubeApiError(err, 404)) throw err;
    });
    await api.create(
      SECRETS,
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: secretName, namespace: 'default' },
        type: 'Opaque',
        data,
      } as KubeObjectLike,
      'default',
    );
    let created: MachineObject;
    try {
      created = await api.create<MachineObject>(MACHINES, machine);
    } catch (err) {
      if (isKubeApiError(err, 409))
        throw new SshNodeError(
          'MachineExists',
          `a machine named "${name}" exists already; remove it with \`flotilla node remove ${name}\` or choose another --name`,
        );
      throw err;
    }
    const owner = {
      apiVersion: MACHINE_API_VERSION,
      kind: MACHINE_KIND,
      name,
      uid: (created.metadata as { uid?: string }).uid,
    };
    await api.patch(SECRETS, secretName, 'default', { metadata: { ownerReferences: [owner] } }, 'merge');
    options.progress(
      `Machine ${name} created (${dest.user}@${dest.host}:${dest.port}${jump ? ` through ${jump.user}@${jump.host}:${jump.port}` : ''}); enrolling`,
    );
    return await follow(api, name, options, started);
  } finally {
    client.transport.close();
  }
}

async function follow(
  api: KubeApi,
  name: string,
  options: SshNodeOptions,
  started: number,
): Promise<{ nodeName: string; ms: number }> {
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  const printed = new Map<string, string>();
  let asked = '';
  let unreachable = false;
  while (Date.now() < deadline) {
    let m: MachineObject;
    try {
      m = await api.get<MachineObject>(MACHINES, name);
      unreachable = false;
    } catch (err) {
      if (isKubeApiError(err)) throw err;
      // The control plane restarting: the enrollment resumes there, so keep following.
      if (!unreachable) options.progress(`  (control plane unreachable: ${(err as Error).message}; waiting)`);
      unreachable = true;
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    for (const s of normalizeSteps(m.status?.steps)) {
      if (s.state === 'pending' && !s.message) continue;
      const line = stepLine(s);
      if (printed.get(s.name) !== line) {
        printed.set(s.name, line);
        options.progress(`  ${line}`);
      }
    }
    const phase = m.status?.phase;
    const gen = (m.metadata as { generation?: number }).generation;
    const current = m.status?.observedGeneration === gen;
    if (phase === 'Ready' && current) {
      const nodeName = m.status?.nodeName ?? name;
      options.progress(`Node ${nodeName} is Ready (${((Date.now() - started) / 1000).toFixed(1)} s).`);
      return { nodeName, ms: Date.now() - started };
    }
    if (phase === 'Failed' && current)
      throw new SshNodeError(
        'EnrollmentFailed',
        `enrolling ${name} failed: ${failureReason(m.status) ?? 'unknown reason'} (the Machine stays for inspection: kubectl get machine ${name} -o yaml; remove it with flotilla node remove ${name})`,
      );
    // First contact with the jump host, then with the machine: each key is shown and accepted in turn.
    const jumpFp = m.status?.observedJumpHostKeyFingerprint;
    const jumpSpec = m.spec.ssh?.jump;
    const fp = m.status?.observedHostKeyFingerprint;
    let accept: { fp: string; host: string; flag: string; patch: object } | undefined;
    if (phase === 'Pending' && current && jumpSpec && jumpFp && !jumpSpec.hostKeyFingerprint)
      accept = {
        fp: jumpFp,
        host: `the jump host ${options.jump ?? jumpSpec.address}`,
        flag: '--accept-jump-host-key',
        patch: { spec: { ssh: { jump: { hostKeyFingerprint: jumpFp } } } },
      };
    else if (phase === 'Pending' && current && fp && !m.spec.ssh?.hostKeyFingerprint)
      accept = {
        fp,
        host: options.destination,
        flag: '--accept-host-key',
        patch: { spec: { ssh: { hostKeyFingerprint: fp } } },
      };
    if (accept && asked !== accept.fp) {
      asked = accept.fp;
      const ok = options.yes ? true : options.confirm ? await options.confirm(accept.fp, accept.host) : false;
      if (!ok) {
        await api.delete(MACHINES, name).catch(() => undefined);
        throw new SshNodeError(
          'HostKeyNotAccepted',
          `the host key of ${accept.host} is ${accept.fp} and was not accepted; to accept it, run again with ${accept.flag} ${accept.fp} (or --yes)`,
        );
      }
      options.progress(`Accepting the host key of ${accept.host}: ${accept.fp}`);
      await api.patch(MACHINES, name, undefined, accept.patch, 'merge');
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new SshNodeError('Timeout', `machine ${name} did not finish enrolling in time`);
}

/**
 * Removes an SSH Machine (the controller drains, uninstalls and deletes the Node, then drops its
 * finalizer). Resolves false when there is no such Machine of type ssh (the caller tries Docker).
 */
export async function removeSshNode(options: {
  dataDir: string;
  kubeconfig?: string;
  name: string;
  timeoutMs?: number;
  progress: (line: string) => void;
}): Promise<boolean> {
  const client = await cluster(options);
  const api = client.api;
  try {
    let m: MachineObject;
    try {
      m = await api.get<MachineObject>(MACHINES, options.name);
    } catch (err) {
      if (isKubeApiError(err, 404)) return false;
      if (isKubeApiError(err)) throw err;
      throw new SshNodeError(
        'ControlPlaneUnavailable',
        `the API server does not answer: ${(err as Error).message} (is \`flotilla server\` running?)`,
      );
    }
    if (m.spec.type !== 'ssh') return false;
    options.progress(
      `Removing machine ${options.name} (drain, stop and uninstall the agent, delete the node)`,
    );
    await api.delete(MACHINES, options.name);
    const deadline = Date.now() + (options.timeoutMs ?? 180_000);
    while (Date.now() < deadline) {
      try {
        m = await api.get<MachineObject>(MACHINES, options.name);
      } catch (err) {
        if (isKubeApiError(err, 404)) {
          options.progress(`Machine ${options.name} removed.`);
          return true;
        }
        throw err;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new SshNodeError(
      'Timeout',
      `machine ${options.name} was not removed in time (phase ${m.status?.phase ?? '?'})`,
    );
  } finally {
    client.transport.close();
  }
}
