// A Machine of type `docker` through the API, end to end with the real programs: `flotilla server` (a
// real process, running the enrollment controller), the real kubectl, the real dockerd. Applying the
// Machine enrolls the local engine as a node (steps with timings in status, an Event per step); a pod
// runs on it; a re-run keeps the running agent; deleting the Machine drains and removes everything
// (agent, pod containers, pod network, FLOTILLA-* chains, the Node). A control plane killed in the
// middle of an enrollment finishes it after its restart. An engine that does not answer fails the
// Machine with the reason and creates nothing, through the API and through `flotilla node add docker`.
//
// The engine can be one node at a time: this suite and node-docker take turns (support/local-engine-node).
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Machine } from '../src-main/shared/machine';
import { ensureTestImages, removeNodeLeftovers, requireDocker, TEST_IMAGE, waitFor } from './support/docker';
import { freeLoopbackPort } from './support/flotilla-process';
import { lockLocalEngineNode } from './support/local-engine-node';
import { inCI, which } from './support/tools';

const run = promisify(execFile);
const repoRoot = new URL('..', import.meta.url).pathname;
const NODE = 'machine-docker-it';
const NETWORK = 'flotilla-pods';
const BUNDLE = join(repoRoot, 'test-output/agent-machine/agent.mjs');

const { skipReason: dockerSkip } = await requireDocker();
function skipReason(): string | undefined {
  if (dockerSkip) return dockerSkip;
  if (process.platform !== 'linux') return 'the Docker node runs the agent with host networking: Linux only';
  if (!which('kubectl')) return 'kubectl not found';
  if (process.getuid?.() !== 0) return 'needs root (iptables-save to check what the agent leaves behind)';
  if (!which('iptables-save')) return 'iptables-save not found (apt-get install -y iptables)';
  return undefined;
}
const skip = skipReason();
if (skip && inCI) throw new Error(`CI=true and ${skip}`);

let dataDir: string;
let port: number;
let server: ChildProcess | undefined;
let serverLog = '';
let release: (() => Promise<void>) | undefined;
const docker = new Docker();

async function startServer(): Promise<void> {
  const logStart = serverLog.length;
  server = spawn(
    process.execPath,
    [join(repoRoot, 'bin/flotilla.js'), 'server', '--data-dir', dataDir, '--port', String(port)],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLOTILLA_AGENT_BUNDLE: BUNDLE } },
  );
  server.stdout!.on('data', (d: Buffer) => (serverLog += d.toString()));
  server.stderr!.on('data', (d: Buffer) => (serverLog += d.toString()));
  await waitFor(
    'flotilla server to be ready',
    () => serverLog.slice(logStart).includes('listening on'),
    30_000,
  );
}

async function stopServer(signal: NodeJS.Signals): Promise<void> {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((r) => server!.once('exit', r));
  server.kill(signal);
  await exited;
}

function spawnText(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

const kubectl = (args: string[], options: { input?: string; timeoutMs?: number } = {}) =>
  spawnText('kubectl', args, { ...options, env: { KUBECONFIG: join(dataDir, 'kubeconfig') } });

const flotilla = (args: string[], timeoutMs = 180_000) =>
  spawnText(process.execPath, [join(repoRoot, 'bin/flotilla.js'), ...args], {
    timeoutMs,
    env: { FLOTILLA_AGENT_BUNDLE: BUNDLE },
  });

async function kubectlJson<T>(args: string[]): Promise<T> {
  const r = await kubectl([...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as T;
}

async function getMachine(name: string): Promise<Machine | undefined> {
  const r = await kubectl(['get', 'machine', name, '-o', 'json']);
  if (r.code !== 0) {
    if (r.stderr.includes('NotFound') || r.stderr.includes('not found')) return undefined;
    throw new Error(r.stderr);
  }
  return JSON.parse(r.stdout) as Machine;
}

async function applyMachine(name: string, spec: Record<string, unknown>): Promise<void> {
  const file = join(dataDir, `${name}.json`);
  await writeFile(
    file,
    JSON.stringify({ apiVersion: 'flotilla.dev/v1', kind: 'Machine', metadata: { name }, spec }),
  );
  const applied = await kubectl(['apply', '-f', file]);
  expect(applied.code, applied.stderr).toBe(0);
}

async function waitPhase(name: string, phases: string[], timeoutMs = 120_000): Promise<Machine> {
  return waitFor(
    `machine ${name} to reach ${phases.join(' or ')}`,
    async () => {
      const m = await getMachine(name);
      const current =
        m?.status?.observedGeneration === (m?.metadata as { generation?: number } | undefined)?.generation;
      return m && current && phases.includes(m.status?.phase ?? '') ? m : undefined;
    },
    timeoutMs,
  );
}

async function deleteMachine(name: string): Promise<void> {
  const r = await kubectl(['delete', 'machine', name, '--wait=true', '--timeout=150s'], {
    timeoutMs: 160_000,
  });
  expect(r.code, `${r.stderr}\n${serverLog.slice(-2000)}`).toBe(0);
  expect(await getMachine(name)).toBeUndefined();
}

async function ourChains(): Promise<string[]> {
  const chains: string[] = [];
  for (const table of ['nat', 'filter']) {
    const { stdout } = await run('iptables-save', ['-t', table]);
    for (const line of stdout.split('\n'))
      if (/^:FLOTILLA-/.test(line)) chains.push(`${table}/${line.slice(1).split(' ')[0]}`);
  }
  return chains;
}

async function expectNothingOf(node: string): Promise<void> {
  const labelled = async (label: string) =>
    docker.listContainers({ all: true, filters: { label: [`${label}=${node}`] } });
  expect(await labelled('dev.flotilla.node')).toEqual([]);
  expect(await labelled('dev.flotilla.agent.node')).toEqual([]);
  expect(
    (await docker.listNetworks({ filters: { name: [NETWORK] } })).filter((n) => n.Name === NETWORK),
  ).toEqual([]);
  expect(await ourChains()).toEqual([]);
  expect((await kubectl(['get', 'node', node])).stderr).toContain('not found');
  expect(existsSync(join(dataDir, 'nodes', node))).toBe(false);
}

async function agentContainerId(node: string): Promise<string | undefined> {
  return docker
    .getContainer(`flotilla-agent-${node}`)
    .inspect()
    .then(
      (i) => (i.State.Running ? i.Id : undefined),
      () => undefined,
    );
}

function seconds(step: { startedAt?: string; finishedAt?: string }): number {
  return (Date.parse(step.finishedAt!) - Date.parse(step.startedAt!)) / 1000;
}

describe.skipIf(skip)('a Machine of type docker, through the API', () => {
  beforeAll(async () => {
    await ensureTestImages();
    // The agent bundle as scripts/build-agent.ts makes it, fresh from the sources under test.
    await mkdir(join(repoRoot, 'test-output/agent-machine'), { recursive: true });
    await run(process.execPath, ['--import', 'tsx', 'scripts/build-agent.ts', '--outfile', BUNDLE], {
      cwd: repoRoot,
    });
    release = await lockLocalEngineNode('tests/machine-docker.test.ts');
    // Nothing of an earlier, interrupted run.
    await docker
      .getContainer(`flotilla-agent-${NODE}`)
      .remove({ force: true })
      .catch(() => undefined);
    await removeNodeLeftovers(docker, NODE, NETWORK);

    dataDir = await mkdtemp(join(tmpdir(), 'flotilla-machine-docker-'));
    port = await freeLoopbackPort();
    await startServer();
  }, 660_000);

  afterAll(async () => {
    try {
      if (server && server.exitCode === null && dataDir) {
        // Whatever a failed test left: the Machine (the controller removes its node), then the rest.
        if (await getMachine(NODE).catch(() => undefined))
          await kubectl(['delete', 'machine', NODE, '--wait=true', '--timeout=150s'], { timeoutMs: 160_000 });
      }
      await docker
        .getContainer(`flotilla-agent-${NODE}`)
        .remove({ force: true })
        .catch(() => undefined);
      await removeNodeLeftovers(docker, NODE, NETWORK);
      await stopServer('SIGTERM');
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    } finally {
      await release?.();
    }
  }, 240_000);

  it('an engine that does not answer: Failed with the reason, nothing created', async () => {
    const name = 'unreachable-engine';
    await applyMachine(name, { type: 'docker', docker: { host: 'unix:///nonexistent/docker.sock' } });
    const m = await waitPhase(name, ['Failed', 'Ready'], 30_000);
    expect(m.status?.phase).toBe('Failed');
    const connect = m.status?.steps?.find((s) => s.name === 'connect');
    expect(connect?.state).toBe('failed');
    expect(connect?.message).toContain(
      'the Docker engine at unix:///nonexistent/docker.sock does not answer',
    );
    expect(m.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'EngineUnreachable',
    });
    expect(m.status?.steps?.filter((s) => s.state !== 'pending').map((s) => s.name)).toEqual(['connect']);
    const table = await kubectl(['get', 'machines']);
    expect(table.stdout).toMatch(
      new RegExp(`${name}\\s+docker\\s+unix:///nonexistent/docker.sock\\s+Failed`),
    );
    const events = await kubectlJson<{ items: { reason: string; message: string }[] }>([
      'get',
      'events',
      '--field-selector',
      `involvedObject.name=${name}`,
    ]);
    expect(events.items.map((e) => e.reason)).toContain('ConnectFailed');
    expect((await kubectl(['get', 'node', name])).stderr).toContain('not found');
    expect(existsSync(join(dataDir, 'nodes', name))).toBe(false);
    await deleteMachine(name);

    // The CLI goes through a Machine too: it prints the reason, exits 1 and leaves no Machine.
    const added = await flotilla([
      'node',
      'add',
      'docker',
      '--data-dir',
      dataDir,
      '--name',
      'cli-unreachable',
      '--docker-host',
      'unix:///nonexistent/docker.sock',
    ]);
    expect(added.code).toBe(1);
    expect(added.stdout).toContain('Connecting to the Docker engine at unix:///nonexistent/docker.sock');
    expect(added.stderr).toContain('does not answer');
    expect(added.stderr).toContain('[EngineUnreachable]');
    expect(await getMachine('cli-unreachable')).toBeUndefined();
  }, 120_000);

  it('applying a docker Machine makes the engine a Ready node, step by step with timings', async () => {
    const t0 = Date.now();
    await applyMachine(NODE, { type: 'docker', labels: { 'example.com/pool': 'local' } });
    const m = await waitPhase(NODE, ['Ready', 'Failed']);
    const toReady = (Date.now() - t0) / 1000;
    expect(m.status?.phase, `${JSON.stringify(m.status, null, 1)}\n${serverLog.slice(-2000)}`).toBe('Ready');
    expect(m.status?.nodeName).toBe(NODE);
    const steps = m.status!.steps!;
    expect(steps.map((s) => [s.name, s.state])).toEqual([
      ['connect', 'done'],
      ['verify-host-key', 'skipped'],
      ['preflight', 'done'],
      ['push-agent', 'done'],
      ['start-agent', 'done'],
      ['wait-ready', 'done'],
    ]);
    for (const s of steps.filter((x) => x.state === 'done')) {
      expect(s.message, s.name).toBeTruthy();
      expect(seconds(s), s.name).toBeGreaterThanOrEqual(0);
      expect(seconds(s), s.name).toBeLessThan(120);
    }
    console.log(
      `docker Machine enrolled: ${toReady.toFixed(1)} s from kubectl apply to Ready; steps: ${steps
        .filter((s) => s.state === 'done')
        .map((s) => `${s.name} ${seconds(s).toFixed(2)} s`)
        .join(', ')}`,
    );
    expect(steps.find((s) => s.name === 'start-agent')?.message).toContain(`flotilla-agent-${NODE} started`);

    const table = await kubectl(['get', 'machines']);
    expect(table.stdout).toMatch(new RegExp(`${NODE}\\s+docker\\s+local\\s+Ready\\s+${NODE}`));
    const events = await kubectlJson<{ items: { reason: string; involvedObject: { kind: string } }[] }>([
      'get',
      'events',
      '--field-selector',
      `involvedObject.name=${NODE}`,
    ]);
    const reasons = events.items.filter((e) => e.involvedObject.kind === 'Machine').map((e) => e.reason);
    for (const r of ['Connect', 'Preflight', 'PushAgent', 'StartAgent', 'WaitReady', 'Enrolled'])
      expect(reasons).toContain(r);

    const node = await kubectlJson<{
      metadata: { labels: Record<string, string> };
      status: { conditions: { type: string; status: string }[] };
    }>(['get', 'node', NODE]);
    expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.metadata.labels).toMatchObject({
      'example.com/pool': 'local',
      'flotilla.dev/transport': 'docker',
    });
    const agent = await docker.getContainer(`flotilla-agent-${NODE}`).inspect();
    expect(agent.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
    // Recorded for the watchdog of `flotilla server`, `flotilla image load` and removal.
    expect(existsSync(join(dataDir, 'nodes', NODE, 'node.json'))).toBe(true);
  }, 180_000);

  it('a pod runs on the node', async () => {
    const file = join(dataDir, 'pod.json');
    await writeFile(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'sleeper' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'main',
              image: TEST_IMAGE,
              imagePullPolicy: 'Never',
              command: ['sh', '-c', 'echo up; trap "exit 0" TERM; while true; do sleep 1; done'],
            },
          ],
        },
      }),
    );
    expect((await kubectl(['apply', '-f', file])).code).toBe(0);
    const pod = await waitFor(
      'pod sleeper Running',
      async () => {
        const p = await kubectlJson<{
          spec: { nodeName?: string };
          status: { phase?: string; podIP?: string };
        }>(['get', 'pod', 'sleeper']);
        return p.status.phase === 'Running' && p.status.podIP ? p : undefined;
      },
      60_000,
    );
    expect(pod.spec.nodeName).toBe(NODE);
    expect(pod.status.podIP).toMatch(/^10\.244\./);
    expect((await kubectl(['logs', 'sleeper'])).stdout).toBe('up\n');
  }, 90_000);

  it('enrolling again (a spec change) keeps the running agent and its pods', async () => {
    const before = await agentContainerId(NODE);
    expect(before).toBeTruthy();
    const patched = await kubectl([
      'patch',
      'machine',
      NODE,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { docker: { host: 'unix:///var/run/docker.sock' } } }),
    ]);
    expect(patched.code, patched.stderr).toBe(0);
    const m = await waitPhase(NODE, ['Ready', 'Failed']);
    expect(m.status?.phase).toBe('Ready');
    expect((m.metadata as { generation?: number }).generation).toBe(2);
    expect(m.status?.steps?.find((s) => s.name === 'push-agent')?.message).toContain('(unchanged)');
    expect(m.status?.steps?.find((s) => s.name === 'start-agent')?.message).toContain('already running');
    expect(await agentContainerId(NODE)).toBe(before);
    const pod = await kubectlJson<{ status: { phase?: string } }>(['get', 'pod', 'sleeper']);
    expect(pod.status.phase).toBe('Running');
  }, 120_000);

  it('deleting the Machine drains and removes the node, leaving nothing behind', async () => {
    expect((await ourChains()).length).toBeGreaterThan(0); // the service proxy's chains exist now
    await deleteMachine(NODE);
    await expectNothingOf(NODE);
    const pods = await kubectlJson<{ items: unknown[] }>(['get', 'pods', '-A']);
    expect(pods.items).toEqual([]);
  }, 180_000);

  it('a control plane killed in the middle of an enrollment finishes it after its restart', async () => {
    await applyMachine(NODE, { type: 'docker' });
    // Kill it once the agent's folder is written and before the node is Ready.
    const seen = await waitFor(
      'enrollment under way',
      async () => {
        const m = await getMachine(NODE);
        const steps = m?.status?.steps ?? [];
        const pushed = steps.find((s) => s.name === 'push-agent')?.state === 'done';
        return pushed || m?.status?.phase === 'Ready' ? m : undefined;
      },
      60_000,
    );
    await stopServer('SIGKILL');
    expect(seen.status?.phase, 'the enrollment was over before the kill').not.toBe('Ready');
    await startServer();
    const m = await waitPhase(NODE, ['Ready', 'Failed']);
    expect(m.status?.phase, JSON.stringify(m.status, null, 1)).toBe('Ready');
    expect(m.status?.steps?.every((s) => s.state === 'done' || s.name === 'verify-host-key')).toBe(true);
    await deleteMachine(NODE);
    await expectNothingOf(NODE);
  }, 240_000);
});
