// Where the agent finds the Docker engine: a DOCKER_HOST-style URL → dockerode's connection options.
import type Docker from 'dockerode';

/** undefined: dockerode's own default (DOCKER_HOST, else /var/run/docker.sock). */
export function dockerOptions(dockerHost: string | undefined): Docker.DockerOptions {
  if (!dockerHost) return {};
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return { socketPath: url.pathname };
  if (url.protocol === 'tcp:' || url.protocol === 'http:')
    return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
  if (url.protocol === 'https:')
    return { host: url.hostname, port: Number(url.port || 2376), protocol: 'https' };
  throw new Error(`unsupported docker host ${dockerHost} (use unix:// or tcp://)`);
}
