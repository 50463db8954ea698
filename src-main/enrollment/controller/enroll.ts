// Enrolling one SSH Machine: connect → verify the host key → preflight → push the agent → start it →
// wait for its Node to be Ready. Every step is idempotent (the release is content-addressed and
// re-uploads nothing when unchanged; the supervisor is started only when it is not running), so the
// whole sequence simply runs again after a failure or a restart and picks up where it stopped.
// Progress goes to status.steps (through the status subresource) and to Events.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import path from 'node:path';
import { PKI_DIR, PKI_FILES } from '../../control-plane/apiserver/pki/ensure';
import {
  MACHINE_CONDITION_HOST_KEY,
  MACHINE_CONDITION_TUNNEL,
  type Machine,
  type MachineStatus,
  type MachineStepName,
} from '../../shared/machine';
import { AGENT_PORT } from '../../shared/agent-api';
import { isKubeApiError } from '../../shared/kube/types';
import type { EventRecorder, KubeApi, KubeObjectLike } from '../../shared/kube/types';
import { RESOURCES } from '../../shared/resources';
import type { ResourceInfo } from '../../shared/resources';
import {
  connectSsh,
  HostKeyMismatch,
  HostKeyUnknown,
  installRelease,
  preflightFailureMessage,
  runPreflight,
  uploadFile,
  type PreflightReport,
  type SshConnection,
  type SshTarget,
} from '../ssh';
import { ensureMachineFiles, releaseDigest } from './node-files';
import {
  logTailCommand,
  restartAgentCommand,
  startSupervisorCommand,
  supervisorPath,
  supervisorRunningCommand,
  supervisorScript,
  SYSTEMD_UNIT,
  systemdUnit,
  type RemoteLayout,
} from './remote';
import { normalizeSteps, withCondition, withPhase, withStep } from './status';
import type { TunnelManager } from './tunnel';

export function resourceOf(group: string, plural: string): ResourceInfo {
  const r = RESOURCES.find((x) => x.group === group && x.plural === plural);
  if (!r) throw new Error(`unknown resource ${plural}.${group}`);
  return r;
}
export const MACHINES = resourceOf('flotilla.dev', 'machines');
export const SECRETS = resourceOf('', 'secrets');
export const NODES = resourceOf('', 'nodes');
export const PODS = resourceOf('', 'pods');
export const LEASES = resourceOf('coordination.k8s.io', 'leases');

export interface EnrollContext {
  api: KubeApi;
  events: EventRecorder;
  /** The control plane's data dir (cluster CA, serving certificate, machines/). */
  dataDir: string;
  /** The API server's port (the address is the one the machine is reached from). */
  apiServerPort: number;
  layout: RemoteLayout;
  /** The agent bundle (agent.mjs) to push. */
  agentBundle(): Promise<string>;
  readyTimeoutMs: number;
  now(): Date;
  /** The SSH tunnels of Machines that cannot reach the API server directly. */
  tunnels: TunnelManager;
  /** TCP reachability of the agent's API from here (default: a real connect; tests substitute it). */
  probeTcp?: (host: string, port: number, timeoutMs: number) => Promise<string | undefined>;
}

/** Thrown by a step to end the run; the status already says why. */
export class StepStopped extends Error {
  constructor(readonly outcome: 'failed' | 'waiting') {
    super(outcome);
  }
}

interface NodeLike extends KubeObjectLike {
  status?: {
    conditions?: { type: string; status: string; message?: string }[];
    addresses?: { type: string; address: string }[];
    daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
  };
}

export function nodeNameOf(m: Machine): string {
  return m.spec.nodeName ?? m.metadata.name;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'EnrollmentFailed';
}

/** Writes a Machine's status through the status subresource. */
export async function writeStatus(api: KubeApi, name: string, status: MachineStatus): Promise<void> {
  await api.patch(MACHINES, name, undefined, { status }, 'merge', 'status');
}

/** The SSH credentials from the Secrets the Machine names. */
export async function machineTarget(api: KubeApi, m: Machine): Promise<SshTarget> {
  const ssh = m.spec.ssh!;
  const read = async (ref: { name: string; namespace: string; key?: string }, key: string) => {
    const secret = await api.get<{ data?: Record<string, string> }>(SECRETS, ref.name, ref.namespace);
    const value = secret.data?.[ref.key ?? key];
    if (value === undefined)
      throw Object.assign(new Error(`secret ${ref.namespace}/${ref.name} has no key ${ref.key ?? key}`), {
        code: 'SecretInvalid',
      });
    return Buffer.from(value, 'base64').toString('utf8');
  };
  const privateKey = ssh.privateKeySecretRef
    ? await read(ssh.privateKeySecretRef, 'ssh-privatekey')
    : undefined;
  const password = ssh.passwordSecretRef ? await read(ssh.passwordSecretRef, 'password') : undefined;
  return {
    host: ssh.address,
    port: ssh.port ?? 22,
    user: ssh.user ?? 'root',
    auth: { ...(privateKey ? { privateKey } : {}), ...(password !== undefined ? { password } : {}) },
    ...(ssh.hostKeyFingerprint ? { hostKeyFingerprint: ssh.hostKeyFingerprint } : {}),
    ...(ssh.sudo ? { sudo: true } : {}),
    // The jump host logs in with the Machine's credentials (like `ssh -J` with one key).
    ...(ssh.jump
      ? {
          jump: {
            host: ssh.jump.address,
            port: ssh.jump.port ?? 22,
            user: ssh.jump.user ?? ssh.user ?? 'root',
            ...(ssh.jump.hostKeyFingerprint ? { hostKeyFingerprint: ssh.jump.hostKeyFingerprint } : {}),
          },
        }
      : {}),
  };
}

/** Whether the API server's serving certificate names `ip` (else the agent could not verify it). */
async function servingCertCovers(dataDir: string, ip: string): Promise<boolean> {
  const pem = await readFile(path.join(dataDir, PKI_DIR, PKI_FILES.servingCert), 'utf8');
  const sans = new X509Certificate(pem).subjectAltName ?? '';
  return sans.split(/,\s*/).some((s) => s === `IP Address:${ip}`);
}

export async function enrollMachine(ctx: EnrollContext, machine: Machine): Promise<MachineStatus> {
  const name = machine.metadata.name;
  const nodeName = nodeNameOf(machine);
  let status: MachineStatus = {
    ...machine.status,
    steps: normalizeSteps(machine.status?.steps),
    nodeName,
    observedGeneration: machine.metadata.generation as number | undefined,
  };
  const save = async (next: MachineStatus) => {
    // The tunnel manager sets TunnelUp on its own; carry its latest value so this write keeps it.
    const tunnel = ctx.tunnels.condition(name);
    status = tunnel ? withCondition(next, tunnel, ctx.now()) : next;
    await writeStatus(ctx.api, name, status);
  };
  const event = (type: 'Normal' | 'Warning', reason: string, message: string) =>
    ctx.events.event(machine as never, type, reason, message);

  const fail = async (step: MachineStepName, err: unknown, extra: Partial<MachineStatus> = {}) => {
    const message = errorText(err);
    let next = withStep({ ...status, ...extra }, step, 'failed', message, ctx.now());
    next = withCondition(
      next,
      { type: 'Ready', status: 'False', reason: errorCode(err), message },
      ctx.now(),
    );
    await save(withPhase(next, 'Failed'));
    event('Warning', `${stepReason(step)}Failed`, message);
    throw new StepStopped('failed');
  };

  const run = async <T>(step: MachineStepName, body: () => Promise<{ value: T; message: string }>) => {
    await save(
      withPhase(
        withStep(status, step, 'running', undefined, ctx.now()),
        status.phase === 'Ready' ? 'Ready' : 'Enrolling',
      ),
    );
    let result: { value: T; message: string };
    try {
      result = await body();
    } catch (err) {
      if (err instanceof StepStopped) throw err;
      return fail(step, err);
    }
    await save(withStep(status, step, 'done', result.message, ctx.now()));
    event('Normal', stepReason(step), result.message);
    return result.value;
  };

  status = withPhase(status, status.phase === 'Ready' ? 'Ready' : 'Connecting');
  const target = await machineTarget(ctx.api, machine).catch((err: unknown) => {
    // A Secret not there yet (created right after the Machine): retried with backoff, not Failed.
    if (isKubeApiError(err, 404)) throw err;
    return fail('connect', err);
  });

  // connect + verify-host-key: one SSH handshake; the key is checked before any credential is sent.
  let conn: SshConnection | undefined;
  await save(withStep(status, 'connect', 'running', undefined, ctx.now()));
  try {
    conn = await connectSsh(target, { timeoutMs: 15_000 });
  } catch (err) {
    if (err instanceof HostKeyUnknown || err instanceof HostKeyMismatch) {
      const presented = err instanceof HostKeyUnknown ? err.fingerprint : err.actual;
      const jump = err.hop === 'jump';
      const hostLabel = jump ? `the jump host ${err.target ?? ''}` : machineLabel(target);
      await save({
        ...withStep(
          status,
          'connect',
          'done',
          `reached ${hostLabel}; it presented ${err.keyType} ${presented}`,
          ctx.now(),
        ),
        ...(jump ? { observedJumpHostKeyFingerprint: presented } : { observedHostKeyFingerprint: presented }),
      });
      if (err instanceof HostKeyMismatch) return fail('verify-host-key', err);
      const message = jump
        ? `first contact with the jump host ${err.target ?? ''}: it presented ${err.keyType} ${presented}; set spec.ssh.jump.hostKeyFingerprint to it to accept it (flotilla node add … --accept-jump-host-key ${presented})`
        : `first contact: the host presented ${err.keyType} ${presented}; set spec.ssh.hostKeyFingerprint to it to accept it (flotilla node add … --accept-host-key ${presented})`;
      let next = withStep(status, 'verify-host-key', 'pending', message, ctx.now());
      next = withCondition(
        next,
        {
          type: MACHINE_CONDITION_HOST_KEY,
          status: 'False',
          reason: jump ? 'JumpHostKeyUnknown' : 'HostKeyUnknown',
          message,
        },
        ctx.now(),
      );
      await save(withPhase(next, 'Pending'));
      event('Normal', jump ? 'JumpHostKeyUnknown' : 'HostKeyUnknown', message);
      throw new StepStopped('waiting');
    }
    return fail('connect', err);
  }
  try {
    await save(withStep(status, 'connect', 'done', `connected to ${conn.name}`, ctx.now()));
    event('Normal', 'Connected', `connected to ${conn.name}`);
    await run('verify-host-key', async () => {
      const jumpFp = target.jump?.hostKeyFingerprint;
      let next = withCondition(
        {
          ...status,
          observedHostKeyFingerprint: conn!.hostKeyFingerprint,
          ...(jumpFp ? { observedJumpHostKeyFingerprint: jumpFp } : {}),
        },
        {
          type: MACHINE_CONDITION_HOST_KEY,
          status: 'True',
          reason: 'Pinned',
          message: jumpFp ? `${conn!.hostKeyFingerprint} (jump host ${jumpFp})` : conn!.hostKeyFingerprint,
        },
        ctx.now(),
      );
      next = withStep(next, 'verify-host-key', 'running', undefined, ctx.now());
      status = next;
      // The jump host's key was checked (and matched) during its own handshake, before the target's.
      return {
        value: undefined,
        message: `host key ${conn!.hostKeyType} ${conn!.hostKeyFingerprint} matches the accepted one${jumpFp ? `; the jump host's ${jumpFp} too` : ''}`,
      };
    });

    // The address this machine has on the path to the host: where the host would reach the API server
    // directly. Through a jump host there is none (the host is reached over a channel of the jump host).
    const localIp = conn.socket && (conn.socket as { localAddress?: string }).localAddress;
    const apiHost = (localIp ?? '').replace(/^::ffff:/, '');
    const { report, apiServer } = await run('preflight', async () => preflight(ctx, conn!, machine, apiHost));
    status = { ...status, reachability: report.facts.reachability };
    const pushed = await run('push-agent', async () => {
      const files = await ensureMachineFiles({
        dataDir: ctx.dataDir,
        machineName: name,
        nodeName,
        apiServer,
        address: target.host,
        layout: ctx.layout,
        api: ctx.api,
        ...(machine.spec.labels ? { labels: machine.spec.labels } : {}),
        ...(machine.spec.taints ? { taints: machine.spec.taints } : {}),
      });
      const bundle = await ctx.agentBundle();
      const agent = await readFile(bundle);
      const version = releaseDigest({ ...files, 'agent.mjs': agent });
      await conn!.run(`mkdir -p ${ctx.layout.baseDir}/versions`);
      const result = await installRelease(conn!, {
        baseDir: ctx.layout.baseDir,
        version,
        files: [
          { name: 'agent.mjs', source: { data: agent } },
          ...Object.entries(files).map(([n, data]) => ({
            name: n,
            source: { data },
            mode: n.endsWith('.key') || n === 'config.json' ? 0o600 : 0o644,
          })),
        ],
      });
      await uploadFile(
        conn!,
        { data: Buffer.from(supervisorScript(ctx.layout)) },
        supervisorPath(ctx.layout),
        { mode: 0o755 },
      );
      // Older releases are no longer needed once `current` points at this one.
      await conn!.run(
        `cd ${ctx.layout.baseDir}/versions && for d in *; do [ "$d" = ${version} ] || rm -rf "$d"; done`,
      );
      const sent = result.files.filter((f) => f.uploaded).length;
      return {
        value: result,
        message: `release ${version} in ${result.versionDir} (${sent} of ${result.files.length} files sent; agent talks to ${apiServer})`,
      };
    });

    await run('start-agent', async () => {
      if (report.facts.init === 'systemd') {
        await uploadFile(
          conn!,
          { data: Buffer.from(systemdUnit(ctx.layout)) },
          `/etc/systemd/system/${SYSTEMD_UNIT}`,
        );
        await conn!.run(
          `mkdir -p ${ctx.layout.logDir} && systemctl daemon-reload && systemctl enable ${SYSTEMD_UNIT} && systemctl ${pushed.switched ? 'restart' : 'start'} ${SYSTEMD_UNIT}`,
        );
        return { value: undefined, message: `systemd service ${SYSTEMD_UNIT} started` };
      }
      const state = (await conn!.run(supervisorRunningCommand(ctx.layout))).trim();
      if (state === 'running') {
        if (pushed.switched) await conn!.run(restartAgentCommand(ctx.layout));
        return {
          value: undefined,
          message: pushed.switched
            ? 'supervisor running; agent restarted on the new release'
            : 'supervisor already running',
        };
      }
      await conn!.run(startSupervisorCommand(ctx.layout));
      const deadline = Date.now() + 5000;
      while ((await conn!.run(supervisorRunningCommand(ctx.layout))).trim() !== 'running') {
        if (Date.now() > deadline)
          throw new Error(`the supervisor did not start; ${await logTail(conn!, ctx.layout)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return {
        value: undefined,
        message: `supervisor started (${supervisorPath(ctx.layout)}; log ${ctx.layout.logDir}/agent.log)`,
      };
    });

    const readyNode = await run('wait-ready', async () => {
      const deadline = Date.now() + ctx.readyTimeoutMs;
      let node: NodeLike;
      for (;;) {
        try {
          node = await ctx.api.get<NodeLike>(NODES, nodeName);
          const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
          if (ready?.status === 'True') break;
        } catch (err) {
          if (!isKubeApiError(err, 404)) throw err;
        }
        if (Date.now() > deadline)
          throw new Error(
            `node ${nodeName} did not become Ready within ${Math.round(ctx.readyTimeoutMs / 1000)} s; ${await logTail(conn!, ctx.layout)}`,
          );
        await new Promise((r) => setTimeout(r, 200));
      }
      return { value: node, message: `node ${nodeName} is Ready` };
    });
    status = await withAgentReachability(ctx, machine, readyNode, status);
    // Direct now (e.g. the server listens on more addresses than before): the tunnel is not needed.
    if (report.facts.reachability === 'direct' && ctx.tunnels.has(name)) {
      await ctx.tunnels.stop(name);
      status = {
        ...status,
        conditions: (status.conditions ?? []).filter((c) => c.type !== MACHINE_CONDITION_TUNNEL),
      };
    }
    const done = withCondition(
      status,
      { type: 'Ready', status: 'True', reason: 'NodeReady', message: `node ${nodeName} is Ready` },
      ctx.now(),
    );
    await save(withPhase(done, 'Ready'));
    event('Normal', 'Enrolled', `node ${nodeName} is Ready`);
    return status;
  } finally {
    conn.close();
  }
}

async function preflight(
  ctx: EnrollContext,
  conn: SshConnection,
  machine: Machine,
  apiHost: string,
): Promise<{ value: { report: PreflightReport; apiServer: string }; message: string }> {
  const report = await runPreflight(conn, {
    sudo: conn.target.sudo === true,
    ...(apiHost ? { apiServer: { host: apiHost, port: ctx.apiServerPort } } : {}),
    installDir: ctx.layout.baseDir,
  });
  // A re-run finds our own agent on its port: that is not a conflict.
  const ours = (await conn.run(supervisorRunningCommand(ctx.layout))).trim() === 'running';
  const checks = report.checks.filter((c) => !(ours && c.name === 'ports'));
  if (checks.some((c) => c.status === 'fail'))
    throw Object.assign(new Error(preflightFailureMessage({ ...report, checks })), {
      code: 'PreflightFailed',
    });
  const node = await conn.exec(`command -v ${ctx.layout.node}`);
  if (node.code !== 0)
    throw Object.assign(
      new Error(
        `Node.js (\`${ctx.layout.node}\`) is not installed on the host; shipping a Node.js runtime with the agent is not implemented yet`,
      ),
      { code: 'NodeMissing' },
    );
  const warnings = report.checks.filter((c) => c.status === 'warn').map((c) => `${c.name}: ${c.message}`);
  const facts = `${report.facts.osImage || report.facts.os} ${report.facts.arch}, Docker ${report.facts.dockerVersion ?? '?'}`;
  const warned = warnings.length ? `; warnings: ${warnings.join('; ')}` : '';

  if (report.facts.reachability === 'direct') {
    if (!(await servingCertCovers(ctx.dataDir, apiHost)))
      throw Object.assign(
        new Error(
          `the API server's certificate does not name ${apiHost}, the address the host reaches it at; restart \`flotilla server --host 0.0.0.0\` (it adds this machine's addresses) or --host ${apiHost}`,
        ),
        { code: 'ServingCertificate' },
      );
    const apiServer = `https://${apiHost.includes(':') ? `[${apiHost}]` : apiHost}:${ctx.apiServerPort}`;
    return {
      value: { report, apiServer },
      message: `${facts}, reaches the API server directly at ${apiServer}${warned}`,
    };
  }

  // Tunnel: the agent talks to the host's own loopback, which this connection's sshd forwards here.
  if (!(await servingCertCovers(ctx.dataDir, '127.0.0.1')))
    throw Object.assign(
      new Error(
        "the API server's certificate does not name 127.0.0.1, the address a tunnelled agent reaches it at; restart `flotilla server` (it re-issues the certificate with the loopback names)",
      ),
      { code: 'ServingCertificate' },
    );
  const why = apiHost
    ? `cannot reach the API server at ${apiHost}:${ctx.apiServerPort}`
    : 'is reached through a jump host';
  let remotePort: number;
  try {
    remotePort = await ctx.tunnels.open(machine);
  } catch (err) {
    throw Object.assign(
      new Error(`the host ${why}, and the SSH tunnel to it could not be opened: ${errorText(err)}`),
      { code: errorCode(err) === 'EnrollmentFailed' ? 'TunnelFailed' : errorCode(err) },
    );
  }
  const apiServer = `https://127.0.0.1:${remotePort}`;
  return {
    value: { report, apiServer },
    message: `${facts}; the host ${why}: the agent uses an SSH tunnel (${apiServer} on the host → the API server)${warned}`,
  };
}

/**
 * Whether the API server can open a connection to the agent's API where it will dial it (the Node's
 * InternalIP and kubelet port) — what `kubectl logs` and `exec` need. The tunnel only carries the
 * agent → API server direction; this direction goes straight to the host, so a host behind a firewall
 * gets a warning (condition AgentReachable=False, an Event) rather than a mysterious 503 later.
 */
async function withAgentReachability(
  ctx: EnrollContext,
  machine: Machine,
  node: NodeLike,
  status: MachineStatus,
): Promise<MachineStatus> {
  const address = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port || AGENT_PORT;
  if (!address) return status;
  const where = `${address.includes(':') ? `[${address}]` : address}:${port}`;
  const problem = await (ctx.probeTcp ?? probeTcp)(address, port, 3000);
  if (problem) {
    const message = `the API server cannot reach the agent at ${where} (${problem}): kubectl logs, exec and port-forward on this node will fail until that port is open from this machine`;
    ctx.events.event(machine as never, 'Warning', 'AgentUnreachable', message);
    return withCondition(
      status,
      { type: 'AgentReachable', status: 'False', reason: 'ConnectFailed', message },
      ctx.now(),
    );
  }
  return withCondition(
    status,
    { type: 'AgentReachable', status: 'True', reason: 'Connected', message: `the agent's API at ${where}` },
    ctx.now(),
  );
}

/** Resolves undefined when a TCP connection opens within the time, else why not. */
export function probeTcp(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = tcpConnect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(`no answer within ${timeoutMs / 1000} s`);
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(undefined);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code ?? err.message);
    });
  });
}

async function logTail(conn: SshConnection, layout: RemoteLayout): Promise<string> {
  const tail = (await conn.exec(logTailCommand(layout)).catch(() => ({ stdout: '' }))).stdout.trim();
  return tail ? `the agent's last log lines:\n${tail}` : 'the agent wrote no log';
}

function machineLabel(t: SshTarget): string {
  return `${t.user}@${t.host}:${t.port ?? 22}`;
}

/** Event reasons per step: Connect, VerifyHostKey, Preflight, PushAgent, StartAgent, WaitReady. */
export function stepReason(step: MachineStepName): string {
  return step
    .split('-')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}
