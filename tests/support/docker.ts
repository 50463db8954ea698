// The real Docker engine for integration suites. Under CI=true a missing or unreachable engine fails
// the suite; elsewhere the suite is skipped with the reason.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { inCI, requireTool } from './tools';

export const TEST_IMAGE = 'flotilla.test/busybox:1';
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface DockerForTests {
  docker?: Docker;
  skipReason?: string;
}

/** A client for the engine at DOCKER_HOST or the default socket, once it answers a ping. */
export async function requireDocker(): Promise<DockerForTests> {
  const hint = 'apt-get install -y docker.io busybox-static, then start dockerd';
  const cli = requireTool('docker', hint);
  if (cli.skipReason) return { skipReason: cli.skipReason };
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (err) {
    const reason = `the Docker engine does not answer (${err instanceof Error ? err.message : String(err)}; ${hint})`;
    if (inCI) throw new Error(`CI=true and ${reason}: the suite cannot run without it`, { cause: err });
    return { skipReason: reason };
  }
  return { docker };
}

/** Builds the registry-free test images (scripts/build-test-images.sh; fast when they exist). */
export async function ensureTestImages(): Promise<void> {
  await promisify(execFile)(join(repoRoot, 'scripts', 'build-test-images.sh'), [], { cwd: repoRoot });
}

/** Removes every container carrying the agent's node label, then the network (test cleanup). */
export async function removeNodeLeftovers(
  docker: Docker,
  nodeName: string,
  networkName: string,
): Promise<void> {
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [`dev.flotilla.node=${nodeName}`] },
  });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  await docker
    .getNetwork(networkName)
    .remove()
    .catch(() => undefined);
}

/** Polls `check` until it returns a value (not undefined/false) or the deadline passes. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
