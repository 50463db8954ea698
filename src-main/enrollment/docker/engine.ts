// Connecting to a Docker engine: the default socket, DOCKER_HOST, or an explicit --docker-host
// (unix:///path or tcp://host:port). Every enrollment step talks to the engine through this.
import Docker from 'dockerode';
import { EnrollmentError } from './errors';

export interface Engine {
  docker: Docker;
  /** What the user named (for messages and to record which engine a node lives on). */
  host: string;
  /** The engine's socket path when it is a local unix socket (mounted into the agent). */
  socketPath?: string;
}

export const DEFAULT_SOCKET = '/var/run/docker.sock';

export function engineOptions(dockerHost: string | undefined): {
  host: string;
  options: Docker.DockerOptions;
  socketPath?: string;
} {
  const host = dockerHost || process.env.DOCKER_HOST || `unix://${DEFAULT_SOCKET}`;
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    return { host, options: { socketPath }, socketPath };
  }
  if (host.startsWith('/'))
    return { host: `unix://${host}`, options: { socketPath: host }, socketPath: host };
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return {
    host,
    options: {
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      host: url.hostname,
      port: Number(url.port) || 2375,
    },
  };
}

/** Connects and checks the engine answers (a clear error instead of a later ECONNREFUSED). */
export async function connectEngine(dockerHost?: string): Promise<Engine & { version: string }> {
  const { host, options, socketPath } = engineOptions(dockerHost);
  const docker = new Docker(options);
  try {
    const v = await docker.version();
    return { docker, host, ...(socketPath ? { socketPath } : {}), version: v.Version };
  } catch (err) {
    throw new EnrollmentError(
      'EngineUnreachable',
      `the Docker engine at ${host} does not answer (${(err as Error).message}); is dockerd running, and may this user use its socket?`,
      { cause: err },
    );
  }
}

/** Reads a progress stream (pull, load, import) to its end; rejects with the engine's error message. */
export function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: Record<string, unknown>[]) => {
      if (err) return reject(err);
      const failed = output.find((o) => o.error || o.errorDetail);
      if (failed) return reject(new Error(String(failed.error ?? JSON.stringify(failed.errorDetail))));
      resolve(output);
    });
  });
}

export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number }).statusCode === 404;
}

/** Docker's 304 "container already started" (another starter — the watchdog — came first). */
export function isAlreadyStarted(err: unknown): boolean {
  return (err as { statusCode?: number }).statusCode === 304;
}

/** Starts a container, content when someone else already did. */
export async function startContainer(container: { start(): Promise<unknown> }): Promise<void> {
  try {
    await container.start();
  } catch (err) {
    if (!isAlreadyStarted(err)) throw err;
  }
}
