// The agent as a container on the engine it manages. Routes, the pod bridge and iptables rules need
// root, which the desktop app does not have but the engine does: so the agent runs in a container
// with the host's network and PID namespaces, the engine's socket, NET_ADMIN/NET_RAW (iptables) and
// /proc/sys writable (forwarding sysctls) — the capabilities it needs rather than --privileged, which
// some engines (rootless, nested) cannot grant. The engine supervises it: restart policy
// unless-stopped brings it back if it dies; the control plane's watchdog covers the rest.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { Engine } from './engine';
import { DEFAULT_SOCKET, isNotFound, startContainer } from './engine';
import { EnrollmentError } from './errors';
import { HOST_ROOT } from './node-files';
import { AGENT_NODE_OPTIONS } from '../../shared/agent-api';
import { IMAGE_NODE, IMAGE_PATH_ENV } from './runtime-image';

/** On the agent container: which node it runs. */
export const AGENT_NODE_LABEL = 'dev.flotilla.agent.node';
export const AGENT_ROLE_LABEL = 'dev.flotilla.agent.role';

export function agentContainerName(nodeName: string): string {
  return `flotilla-agent-${nodeName}`;
}

export interface AgentContainerSpec {
  nodeName: string;
  image: string;
  /** The node's folder (config, certificates, bundle, rootDir), mounted at the same path. */
  dir: string;
  engine: Pick<Engine, 'socketPath'>;
  /** Run `agent --teardown` once instead of the agent. */
  teardown?: boolean;
}

export function agentContainerOptions(spec: AgentContainerSpec): Docker.ContainerCreateOptions {
  const binds = [`${spec.dir}:${spec.dir}`, `/etc:${HOST_ROOT}/etc:ro`];
  if (existsSync('/usr/lib/os-release')) binds.push(`/usr/lib/os-release:${HOST_ROOT}/usr/lib/os-release:ro`);
  // The engine's socket, where the agent's config says it is.
  if (spec.engine.socketPath) binds.push(`${spec.engine.socketPath}:${DEFAULT_SOCKET}`);
  // iptables-legacy serialises writers with this lock; share the host's so Docker and the agent do not race.
  if (existsSync('/run/xtables.lock')) binds.push('/run/xtables.lock:/run/xtables.lock');
  return {
    name: spec.teardown ? `${agentContainerName(spec.nodeName)}-teardown` : agentContainerName(spec.nodeName),
    Image: spec.image,
    Entrypoint: [IMAGE_NODE],
    Cmd: [
      ...AGENT_NODE_OPTIONS,
      path.join(spec.dir, 'agent.mjs'),
      '--config',
      path.join(spec.dir, 'config.json'),
      ...(spec.teardown ? ['--teardown'] : []),
    ],
    Env: [IMAGE_PATH_ENV, 'NODE_ENV=production'],
    Labels: { [AGENT_NODE_LABEL]: spec.nodeName, [AGENT_ROLE_LABEL]: spec.teardown ? 'teardown' : 'agent' },
    HostConfig: {
      NetworkMode: 'host',
      PidMode: 'host',
      CapAdd: ['NET_ADMIN', 'NET_RAW'],
      SecurityOpt: ['apparmor=unconfined'],
      // `--security-opt systempaths=unconfined`: /proc/sys writable, nothing masked.
      ...({ MaskedPaths: [], ReadonlyPaths: [] } as object),
      Binds: binds,
      RestartPolicy: spec.teardown ? { Name: 'no' } : { Name: 'unless-stopped' },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
    },
  };
}

/** (Re)creates and starts the agent container; an existing one with other options is replaced. */
export async function startAgentContainer(
  engine: Engine,
  spec: AgentContainerSpec,
): Promise<Docker.Container> {
  const options = agentContainerOptions(spec);
  const existing = engine.docker.getContainer(options.name!);
  try {
    const info = await existing.inspect();
    const same =
      info.Config.Image === spec.image && JSON.stringify(info.Config.Cmd) === JSON.stringify(options.Cmd);
    if (same) {
      if (!info.State.Running) await startContainer(existing);
      return existing;
    }
    await existing.remove({ force: true });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const container = await engine.docker.createContainer(options);
  await startContainer(container);
  return container;
}

/** Stops (grace 10 s, so the agent can end cleanly) and removes the agent container, if there is one. */
export async function removeAgentContainer(engine: Engine, nodeName: string): Promise<boolean> {
  const c = engine.docker.getContainer(agentContainerName(nodeName));
  try {
    await c.stop({ t: 10 });
  } catch (err) {
    if (isNotFound(err)) return false;
    // 304: already stopped
  }
  try {
    await c.remove({ force: true });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** The agent's last log lines (stdout and stderr), for error messages. */
export async function containerLogTail(container: Docker.Container, lines = 20): Promise<string> {
  try {
    const buf = (await container.logs({
      stdout: true,
      stderr: true,
      tail: lines,
      follow: false,
    })) as unknown as Buffer;
    return demux(buf).trim();
  } catch {
    return '';
  }
}

/** Runs `agent --teardown` in the agent's image with the agent's mounts; resolves with its log. */
export async function runTeardown(
  engine: Engine,
  spec: Omit<AgentContainerSpec, 'teardown'>,
  timeoutMs = 120_000,
): Promise<string> {
  const options = agentContainerOptions({ ...spec, teardown: true });
  try {
    await engine.docker.getContainer(options.name!).remove({ force: true });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const container = await engine.docker.createContainer(options);
  try {
    await container.start();
    const waited = container.wait() as Promise<{ StatusCode: number }>;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`did not finish within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    const result = await Promise.race([waited, timeout]).finally(() => clearTimeout(timer));
    const log = await containerLogTail(container, 200);
    if (result.StatusCode !== 0)
      throw new EnrollmentError(
        'TeardownFailed',
        `agent --teardown exited with ${result.StatusCode}:\n${log}`,
      );
    return log;
  } catch (err) {
    if (err instanceof EnrollmentError) throw err;
    throw new EnrollmentError('TeardownFailed', `agent --teardown failed: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

/** Docker's multiplexed log stream (8-byte frame headers) as text; plain text is returned as is. */
export function demux(buf: Buffer): string {
  if (!Buffer.isBuffer(buf)) return String(buf);
  let out = '';
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2) && buf[i + 1] === 0) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return i === 0 ? buf.toString('utf8') : out;
}
