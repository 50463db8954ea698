// What `pods/log` and `pods/exec` mean for one pod, decided by the API server before it calls the
// node's agent (Kubernetes' LogLocation / ExecLocation plus the kubelet's container-state check): which
// container, which agent path and query, and the errors kubectl users know by heart. Pure functions.
import { agentPaths } from '../../../shared/agent-api';
import { errors } from '../errors';
import type { ApiError } from '../errors';

/** The parts of a pod these decisions read. */
export interface PodLike {
  metadata?: { name?: string; namespace?: string };
  spec?: {
    nodeName?: string;
    containers?: { name: string }[];
    initContainers?: { name: string }[];
    ephemeralContainers?: { name: string }[];
  };
  status?: {
    phase?: string;
    containerStatuses?: ContainerStatusLike[];
    initContainerStatuses?: ContainerStatusLike[];
    ephemeralContainerStatuses?: ContainerStatusLike[];
  };
}

export interface ContainerStatusLike {
  name: string;
  containerID?: string;
  state?: ContainerStateLike;
  lastState?: ContainerStateLike;
}

interface ContainerStateLike {
  waiting?: { reason?: string };
  running?: unknown;
  terminated?: { containerID?: string };
}

/** Where to send a request on the node: `https://host:port` + path + query. */
export interface AgentTarget {
  nodeName: string;
  container: string;
  path: string;
  query: URLSearchParams;
}

/** undefined: the pod is not on a node yet, and Kubernetes answers an empty log. */
export function logTarget(pod: PodLike, query: URLSearchParams): AgentTarget | undefined {
  const options = parseLogOptions(query);
  const name = pod.metadata?.name ?? '';
  const container = chooseContainer(pod, query.get('container'));
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) return undefined;
  const problem = containerLogProblem(pod, container, options.previous);
  if (problem) throw errors.badRequest(problem);
  const out = new URLSearchParams();
  if (options.follow) out.set('follow', 'true');
  if (options.previous) out.set('previous', 'true');
  if (options.timestamps) out.set('timestamps', 'true');
  if (options.tailLines !== undefined) out.set('tailLines', String(options.tailLines));
  if (options.sinceSeconds !== undefined) out.set('sinceSeconds', String(options.sinceSeconds));
  if (options.sinceTime !== undefined) out.set('sinceTime', options.sinceTime);
  if (options.limitBytes !== undefined) out.set('limitBytes', String(options.limitBytes));
  const stream = query.get('stream');
  if (stream) out.set('stream', stream);
  return {
    nodeName,
    container,
    path: agentPaths.containerLogs(pod.metadata?.namespace ?? '', name, container),
    query: out,
  };
}

export interface LogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  limitBytes?: number;
}

/** PodLogOptions from the query, validated as Kubernetes validates them (422 Invalid on range errors). */
export function parseLogOptions(query: URLSearchParams): LogOptions {
  const causes: { field: string; message: string; reason: 'FieldValueInvalid' }[] = [];
  const int = (field: string): number | undefined => {
    const raw = query.get(field);
    if (raw === null || raw === '') return undefined;
    if (!/^-?\d+$/.test(raw))
      throw errors.badRequest(`invalid value for ${field}: ${JSON.stringify(raw)} is not an integer`);
    return Number(raw);
  };
  const options: LogOptions = {
    follow: isTrue(query.get('follow')),
    previous: isTrue(query.get('previous')),
    timestamps: isTrue(query.get('timestamps')),
  };
  const tailLines = int('tailLines');
  const sinceSeconds = int('sinceSeconds');
  const limitBytes = int('limitBytes');
  const sinceTime = query.get('sinceTime') || undefined;
  if (tailLines !== undefined) {
    if (tailLines < 0) causes.push(invalid('tailLines', 'must be greater than or equal to 0'));
    options.tailLines = tailLines;
  }
  if (limitBytes !== undefined) {
    if (limitBytes < 1) causes.push(invalid('limitBytes', 'must be greater than 0'));
    options.limitBytes = limitBytes;
  }
  if (sinceSeconds !== undefined) {
    if (sinceSeconds < 1) causes.push(invalid('sinceSeconds', 'must be greater than 0'));
    options.sinceSeconds = sinceSeconds;
  }
  if (sinceTime !== undefined) {
    if (Number.isNaN(Date.parse(sinceTime)))
      throw errors.badRequest(
        `invalid value for sinceTime: ${JSON.stringify(sinceTime)} is not an RFC 3339 time`,
      );
    options.sinceTime = sinceTime;
  }
  if (sinceSeconds !== undefined && sinceTime !== undefined)
    causes.push(invalid('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  if (causes.length > 0) throw errors.invalid('PodLogOptions', {}, causes);
  return options;
}

function invalid(field: string, message: string) {
  return { field, message, reason: 'FieldValueInvalid' as const };
}

export interface ExecOptions {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export function execTarget(pod: PodLike, query: URLSearchParams): AgentTarget & { options: ExecOptions } {
  const name = pod.metadata?.name ?? '';
  const container = chooseContainer(pod, query.get('container'));
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed')
    throw errors.badRequest(`cannot exec into a container in a completed pod; current phase is ${phase}`);
  const options: ExecOptions = {
    command: query.getAll('command'),
    stdin: isTrue(query.get('stdin')),
    stdout: isTrue(query.get('stdout')),
    stderr: isTrue(query.get('stderr')),
    tty: isTrue(query.get('tty')),
  };
  if (options.command.length === 0)
    throw errors.badRequest('you must specify at least one command for the container');
  if (!options.stdin && !options.stdout && !options.stderr)
    throw errors.badRequest('you must specify at least one of stdin, stdout, stderr');
  if (options.tty && options.stderr) options.stderr = false; // a TTY merges stderr into stdout (as Kubernetes)
  const out = new URLSearchParams();
  for (const c of options.command) out.append('command', c);
  for (const flag of ['stdin', 'stdout', 'stderr', 'tty'] as const) if (options[flag]) out.set(flag, 'true');
  return {
    nodeName,
    container,
    path: agentPaths.exec(pod.metadata?.namespace ?? '', name, container),
    query: out,
    options,
  };
}

/** The container a request means: the one named, or the pod's only container; else a 400 listing them. */
export function chooseContainer(pod: PodLike, requested: string | null): string {
  const name = pod.metadata?.name ?? '';
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const init = (pod.spec?.initContainers ?? []).map((c) => c.name);
  const ephemeral = (pod.spec?.ephemeralContainers ?? []).map((c) => c.name);
  if (!requested) {
    if (containers.length === 1) return containers[0]!;
    let message = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
    if (init.length > 0) message += ` or one of the init containers: [${init.join(' ')}]`;
    if (ephemeral.length > 0) message += ` or one of the ephemeral containers: [${ephemeral.join(' ')}]`;
    throw errors.badRequest(message);
  }
  if (![...containers, ...init, ...ephemeral].includes(requested))
    throw errors.badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

/**
 * Why a container has no log to show (the kubelet's validateContainerLogStatus), or undefined.
 * A bound pod whose agent has not reported the container yet is still being created.
 */
export function containerLogProblem(pod: PodLike, container: string, previous: boolean): string | undefined {
  const pref = `container ${JSON.stringify(container)} in pod ${JSON.stringify(pod.metadata?.name ?? '')}`;
  const status = [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.ephemeralContainerStatuses ?? []),
  ].find((s) => s.name === container);
  if (!status)
    return previous
      ? `previous terminated ${pref} not found`
      : `${pref} is waiting to start: ContainerCreating`;
  const last = status.lastState?.terminated;
  const { waiting, running, terminated } = status.state ?? {};
  if (previous) return last?.containerID ? undefined : `previous terminated ${pref} not found`;
  if (running) return undefined;
  if (terminated) return terminated.containerID || last?.containerID ? undefined : `${pref} is terminated`;
  if (last) return last.containerID ? undefined : `${pref} is terminated`;
  if (waiting) {
    switch (waiting.reason) {
      case 'ErrImagePull':
        return `${pref} is waiting to start: image can't be pulled`;
      case 'ImagePullBackOff':
        return `${pref} is waiting to start: trying and failing to pull image`;
      default:
        return `${pref} is waiting to start: ${waiting.reason ?? 'ContainerCreating'}`;
    }
  }
  return `${pref} is waiting to start - no logs yet`;
}

/** The Kubernetes error for an answer the agent gave instead of a stream. */
export function agentErrorToApiError(code: number, body: string, nodeName: string): ApiError {
  let text = body.trim() || `HTTP ${code}`;
  try {
    const status = JSON.parse(body) as { kind?: string; message?: string };
    if (status.kind === 'Status' && status.message) text = status.message;
  } catch {
    // not JSON: the text is the message
  }
  if (code === 401 || code === 403)
    return errors.internal(`the agent of node "${nodeName}" refused the API server (${code}): ${text}`);
  return code >= 500 ? errors.internal(text) : errors.badRequest(text);
}

function isTrue(value: string | null): boolean {
  return value === 'true' || value === '1';
}
