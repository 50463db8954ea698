// The real programs for the multi-machine suites and the enroll benchmark: a fresh agent bundle,
// `flotilla server` as a child process listening on every interface (so test hosts reach it), the
// `flotilla` CLI and the real kubectl against it, and commands run inside a test host's namespace or
// against a test host's own Docker engine. Every start returns something that stops it.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { freeLoopbackPort } from './flotilla-process';
import { repoRoot } from './testbed';
import type { Testbed, TestbedHost } from './testbed';

const exec = promisify(execFile);

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program; never rejects for a non-zero exit (the caller asserts on code and output). */
export function runProgram(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: stderr + String(err) });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
    // A program that exits without reading its input must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Builds the agent bundle from the sources under test into DIR/agent.mjs (scripts/build-agent.ts). */
export async function buildAgentBundle(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const out = join(dir, 'agent.mjs');
  await exec(process.execPath, ['--import', 'tsx', 'scripts/build-agent.ts', '--outfile', out], {
    cwd: repoRoot,
    timeout: 180_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return out;
}

export interface ClusterServer {
  dataDir: string;
  port: number;
  kubeconfig: string;
  /** stdout and stderr so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/** `flotilla server --host 0.0.0.0` on a free port; resolves once it listens. */
export async function startClusterServer(options: {
  dataDir: string;
  agentBundle: string;
  timeoutMs?: number;
}): Promise<ClusterServer> {
  const port = await freeLoopbackPort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      'bin/flotilla.js',
      'server',
      '--data-dir',
      options.dataDir,
      '--host',
      '0.0.0.0',
      '--port',
      String(port),
      '--log-level',
      'warn',
    ],
    {
      cwd: repoRoot,
      env: { ...process.env, FLOTILLA_AGENT_BUNDLE: options.agentBundle },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Should this process die without stopping it, the server must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`flotilla server did not start in time:\n${log}`));
    }, options.timeoutMs ?? 60_000);
    const onData = () => {
      if (log.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`flotilla server exited (${code ?? signal}) before listening:\n${log}`));
    });
  });
  return {
    dataDir: options.dataDir,
    port,
    kubeconfig: join(options.dataDir, 'kubeconfig'),
    log: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const stopped = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 20_000)),
      ]);
      if (!stopped) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** The `flotilla` CLI and kubectl bound to one server's data dir. */
export function clusterClients(server: Pick<ClusterServer, 'dataDir' | 'kubeconfig'>, agentBundle: string) {
  const flotilla = (args: string[], options: { input?: string; timeoutMs?: number } = {}) =>
    runProgram(process.execPath, ['bin/flotilla.js', ...args], {
      env: { FLOTILLA_AGENT_BUNDLE: agentBundle },
      timeoutMs: options.timeoutMs ?? 180_000,
      ...(options.input !== undefined ? { input: options.input } : {}),
    });
  const kubectl = (args: string[], options: { input?: string; timeoutMs?: number } = {}) =>
    runProgram('kubectl', args, {
      env: { KUBECONFIG: server.kubeconfig, KUBECTL_INTERACTIVE_DELETE: 'false' },
      timeoutMs: options.timeoutMs ?? 30_000,
      ...(options.input !== undefined ? { input: options.input } : {}),
    });
  /** kubectl … -o json, parsed; rejects with kubectl's stderr. */
  const kubectlJson = async <T>(args: string[]): Promise<T> => {
    const r = await kubectl([...args, '-o', 'json']);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  /** `flotilla node add ssh root@HOST` with the test key and the host's known fingerprint. */
  const addSshHost = (host: TestbedHost, name: string) =>
    flotilla([
      'node',
      'add',
      'ssh',
      `root@${host.ip}`,
      '--key',
      host.privateKey,
      '--name',
      name,
      '--accept-host-key',
      host.hostKeyFingerprint,
      '--data-dir',
      server.dataDir,
    ]);
  const removeNode = (name: string) =>
    flotilla(['node', 'remove', name, '--data-dir', server.dataDir], { timeoutMs: 120_000 });
  return { flotilla, kubectl, kubectlJson, addSshHost, removeNode };
}

/** `ip netns exec HOST sh -c SCRIPT` (rejects on a non-zero exit). */
export async function inHost(host: TestbedHost, script: string, timeoutMs = 30_000): Promise<string> {
  const { stdout } = await exec('ip', ['netns', 'exec', host.netns, 'sh', '-c', script], {
    timeout: timeoutMs,
    maxBuffer: 4 * 1024 * 1024,
  });
  return stdout;
}

/** Waits until check returns a value (not undefined/false), polling; rejects after the deadline. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** One engine the cluster's pods may run on: the local one or a test host's (through its socket). */
export interface PodEngine {
  name: string;
  docker: Docker;
  /** For `docker -H …` (exec with a plain child process). */
  host: string;
}

export function engineOf(host: TestbedHost): PodEngine {
  return {
    name: host.name,
    docker: new Docker({ socketPath: host.dockerSocket }),
    host: `unix://${host.dockerSocket}`,
  };
}

export function localEngine(): PodEngine {
  return { name: 'local', docker: new Docker(), host: 'unix:///var/run/docker.sock' };
}

const POD_LABEL = 'dev.flotilla.pod.name';
const KIND_LABEL = 'dev.flotilla.kind';
const NODE_LABEL = 'dev.flotilla.node';

/**
 * Running app containers per pod name, over every engine (whatever the API says): a pod that runs
 * twice (the old copy on a host that was cut off, and its replacement) shows up with a count of 2.
 */
export async function runningAppContainers(
  engines: PodEngine[],
  nodeNames: string[],
): Promise<Map<string, { engine: string; id: string }[]>> {
  const byPod = new Map<string, { engine: string; id: string }[]>();
  for (const engine of engines) {
    const list = await engine.docker.listContainers({
      filters: { label: [`${KIND_LABEL}=app`], status: ['running'] },
    });
    for (const c of list) {
      if (!nodeNames.includes(c.Labels[NODE_LABEL] ?? '')) continue;
      const pod = c.Labels[POD_LABEL] ?? '?';
      byPod.set(pod, [...(byPod.get(pod) ?? []), { engine: engine.name, id: c.Id }]);
    }
  }
  return byPod;
}

/** The id of a pod's running app container on an engine. */
export async function appContainerOf(engine: PodEngine, pod: string): Promise<string> {
  const [c] = await engine.docker.listContainers({
    filters: { label: [`${POD_LABEL}=${pod}`, `${KIND_LABEL}=app`], status: ['running'] },
  });
  if (!c) throw new Error(`no running app container of pod ${pod} on ${engine.name}`);
  return c.Id;
}

/** `docker exec` in a pod's app container: stdout (rejects on a non-zero exit). */
export async function podExec(
  engine: PodEngine,
  pod: string,
  script: string,
  timeoutMs = 60_000,
): Promise<string> {
  const id = await appContainerOf(engine, pod);
  const { stdout } = await exec('docker', ['-H', engine.host, 'exec', id, 'sh', '-c', script], {
    timeout: timeoutMs,
    maxBuffer: 4 * 1024 * 1024,
  });
  return stdout;
}

/** The testbed host whose IP a node reports, if any. */
export function hostByIp(testbed: Testbed, ip: string | undefined): TestbedHost | undefined {
  return testbed.hosts.find((h) => h.ip === ip);
}

/** `printf 'GET PATH HTTP/1.0' | nc` for busybox containers (its wget is unusable here). */
export const httpGet = (ip: string, port = 80, path = '/') =>
  `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} ${port}`;

/** The 1, 5 and 15 minute load averages, as /proc/loadavg shows them. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
