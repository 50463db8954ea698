// The local Docker engine as a node, end to end with the real programs: `flotilla server` (a real
// process), `flotilla node add docker` (the agent bundle in a runtime image made from this machine's
// node binary, run as a container with host networking), the real kubectl through the API server —
// logs (-f), exec (with and without -i/-t, exit codes), top — `flotilla image load`, and
// `flotilla node remove`, after which no container, network or iptables chain of the node is left.
//
// Uses the agent's default names (network flotilla-pods, bridge flotilla0, chains FLOTILLA-*): it is
// the one Docker node this engine may have, exactly as a user's machine would (machine-docker takes
// turns with it: support/local-engine-node). `node add docker` goes through a Machine of type docker
// that the server's enrollment controller enrolls; `node remove` deletes it.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestImages, removeNodeLeftovers, requireDocker, TEST_IMAGE, waitFor } from './support/docker';
import { lockLocalEngineNode } from './support/local-engine-node';
import { inCI, which } from './support/tools';

const run = promisify(execFile);
const repoRoot = new URL('..', import.meta.url).pathname;
const NODE = 'dockernode';
const NETWORK = 'flotilla-pods';

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
let server: ChildProcess | undefined;
let serverLog = '';
let release: (() => Promise<void>) | undefined;
const docker = new Docker();

async function flotilla(
  args: string[],
  timeoutMs = 180_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/flotilla.js'), ...args], {
      env: { ...process.env, FLOTILLA_AGENT_BUNDLE: join(repoRoot, 'test-output/agent/agent.mjs') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

async function kubectl(args: string[], options: { input?: string; timeoutMs?: number } = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('kubectl', args, {
      env: { ...process.env, KUBECONFIG: join(dataDir, 'kubeconfig') },
    });
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

async function kubectlJson<T>(args: string[]): Promise<T> {
  const r = await kubectl([...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as T;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
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

interface PodLike {
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
  spec?: { nodeName?: string };
}

describe.skipIf(skip)('the local Docker engine as a node', () => {
  beforeAll(async () => {
    await ensureTestImages();
    // The agent bundle as scripts/build-agent.ts makes it, fresh from the sources under test.
    await mkdir(join(repoRoot, 'test-output/agent'), { recursive: true });
    await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/build-agent.ts', '--outfile', 'test-output/agent/agent.mjs'],
      { cwd: repoRoot },
    );
    release = await lockLocalEngineNode('tests/node-docker.test.ts');
    // Nothing of an earlier, interrupted run.
    await docker
      .getContainer(`flotilla-agent-${NODE}`)
      .remove({ force: true })
      .catch(() => undefined);
    await removeNodeLeftovers(docker, NODE, NETWORK);

    dataDir = await mkdtemp(join(tmpdir(), 'flotilla-docker-node-'));
    const port = await freePort();
    server = spawn(
      process.execPath,
      [join(repoRoot, 'bin/flotilla.js'), 'server', '--data-dir', dataDir, '--port', String(port)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        // The server's enrollment controller pushes the bundle under test.
        env: { ...process.env, FLOTILLA_AGENT_BUNDLE: join(repoRoot, 'test-output/agent/agent.mjs') },
      },
    );
    server.stdout!.on('data', (d: Buffer) => (serverLog += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (serverLog += d.toString()));
    await waitFor('flotilla server to be ready', () => serverLog.includes('listening on'), 30_000);
  }, 660_000);

  afterAll(async () => {
    // Whatever a failed test left: the agent, then what it made.
    if (existsSync(join(dataDir ?? '/nonexistent', 'nodes', NODE, 'node.json')))
      await flotilla(['node', 'remove', NODE, '--data-dir', dataDir]);
    await docker
      .getContainer(`flotilla-agent-${NODE}`)
      .remove({ force: true })
      .catch(() => undefined);
    await removeNodeLeftovers(docker, NODE, NETWORK);
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    await release?.();
  }, 180_000);

  it('`flotilla node add docker` makes the engine a Ready node and prints its steps', async () => {
    const agentPort = await freePort();
    const added = await flotilla([
      'node',
      'add',
      'docker',
      '--data-dir',
      dataDir,
      '--name',
      NODE,
      '--agent-port',
      String(agentPort),
    ]);
    expect(added.code, `${added.stdout}\n${added.stderr}\n${serverLog.slice(-2000)}`).toBe(0);
    expect(added.stdout).toContain('Starting the agent container flotilla-agent-dockernode');
    expect(added.stdout).toContain(`Node ${NODE} is Ready.`);
    // One path with the UI and kubectl: the command made a Machine, which the server enrolled.
    const machines = await kubectl(['get', 'machines']);
    expect(machines.stdout).toMatch(new RegExp(`${NODE}\\s+docker\\s+\\S+\\s+Ready\\s+${NODE}`));
    const node = await kubectlJson<{
      status: { addresses: { type: string }[]; daemonEndpoints: { kubeletEndpoint: { Port: number } } };
    }>(['get', 'node', NODE]);
    expect(node.status.daemonEndpoints.kubeletEndpoint.Port).toBe(agentPort);
    const agent = await docker.getContainer(`flotilla-agent-${NODE}`).inspect();
    expect(agent.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
    expect(agent.HostConfig.NetworkMode).toBe('host');

    // A second add of another name on the same engine is refused with the reason.
    const again = await flotilla(['node', 'add', 'docker', '--data-dir', dataDir, '--name', 'other']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already runs the agent of node "dockernode"');
    expect(again.stderr).toContain('[EngineTaken]');
    // A failed add leaves nothing: its Machine is deleted again.
    expect((await kubectl(['get', 'machine', 'other'])).stderr).toContain('not found');
  }, 240_000);

  it('runs a scheduled pod; kubectl logs and exec work through the API server', async () => {
    const manifest = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'web' },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'web',
                image: TEST_IMAGE,
                imagePullPolicy: 'Never',
                command: ['sh', '-c', 'echo started; trap "exit 0" TERM; while true; do sleep 1; done'],
              },
            ],
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'counter' },
          spec: {
            restartPolicy: 'Never',
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'count',
                image: TEST_IMAGE,
                imagePullPolicy: 'Never',
                command: ['sh', '-c', 'sleep 2; for i in 1 2 3; do echo tick $i; sleep 1; done'],
              },
            ],
          },
        },
      ],
    };
    for (const pod of manifest.items) {
      const file = join(dataDir, `${pod.metadata.name}.json`);
      await writeFile(file, JSON.stringify(pod));
      const applied = await kubectl(['apply', '-f', file]);
      expect(applied.code, applied.stderr).toBe(0);
    }
    const web = await waitFor(
      'pod web Running on the node',
      async () => {
        const p = await kubectlJson<PodLike>(['get', 'pod', 'web']);
        return p.status?.phase === 'Running' && p.status.podIP ? p : undefined;
      },
      60_000,
    );
    expect(web.spec?.nodeName).toBe(NODE);

    // logs -f follows until the container exits (counter runs ~5 s).
    await waitFor(
      'counter to be running',
      async () => (await kubectlJson<PodLike>(['get', 'pod', 'counter'])).status?.phase === 'Running',
      60_000,
    );
    const follow = await kubectl(['logs', '-f', 'counter'], { timeoutMs: 30_000 });
    expect(follow).toMatchObject({ code: 0, stdout: 'tick 1\ntick 2\ntick 3\n' });
    const tail = await kubectl(['logs', 'counter', '--tail=1', '--timestamps']);
    expect(tail.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z tick 3\n$/);
    expect((await kubectl(['logs', 'web'])).stdout).toBe('started\n');
    const previous = await kubectl(['logs', 'web', '--previous']);
    expect(previous.stderr).toContain('previous terminated container "web" in pod "web" not found');

    const sum = await kubectl(['exec', 'web', '--', 'sh', '-c', 'echo $((6*7)); echo oops >&2']);
    expect(sum).toMatchObject({ code: 0, stdout: '42\n', stderr: 'oops\n' });
    const stdin = await kubectl(['exec', '-i', 'web', '--', 'sh', '-c', 'tr a-z A-Z'], { input: 'shout\n' });
    expect(stdin).toMatchObject({ code: 0, stdout: 'SHOUT\n' });
    const failed = await kubectl(['exec', 'web', '--', 'sh', '-c', 'exit 7']);
    expect(failed.code).toBe(7);
    if (which('script')) {
      // -t needs a terminal on kubectl's side: `script` gives it one.
      const tty = await new Promise<{ code: number; out: string }>((resolve) => {
        const child = spawn('script', ['-qec', "kubectl exec -it web -- sh -c 'tty; exit 3'", '/dev/null'], {
          env: { ...process.env, KUBECONFIG: join(dataDir, 'kubeconfig') },
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code: code ?? -1, out });
        });
        child.stdin.end();
      });
      expect(tty.out).toMatch(/\/dev\/pts\/\d+/);
      expect(tty.code).toBe(3);
    }
  }, 240_000);

  it('the agent is supervised: a crash is restarted by the engine, a stop by the watchdog; pods keep running', async () => {
    const agent = docker.getContainer(`flotilla-agent-${NODE}`);
    const before = await agent.inspect();
    const webBefore = await kubectlJson<{
      status: { containerStatuses: { restartCount: number; containerID: string }[] };
    }>(['get', 'pod', 'web']);
    process.kill(before.State.Pid, 'SIGKILL');
    await waitFor(
      'the engine to restart the agent',
      async () => {
        const info = await agent.inspect();
        return info.State.Running && info.State.Pid !== before.State.Pid ? info : undefined;
      },
      30_000,
    );
    // A stopped agent (not a crash: the engine's restart policy leaves it) is started again by the
    // watchdog that `flotilla server` runs for this data dir's Docker nodes.
    await agent.stop({ t: 5 });
    await waitFor(
      "the server's watchdog to start the agent again",
      async () => ((await agent.inspect()).State.Running ? true : undefined),
      45_000,
    );
    expect((await agent.inspect()).State.Running).toBe(true);
    // The restarted agent adopts the pod's container: same container, no restart.
    await waitFor(
      'node Ready again',
      async () => {
        const n = await kubectlJson<{ status: { conditions: { type: string; status: string }[] } }>([
          'get',
          'node',
          NODE,
        ]);
        return n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
      },
      60_000,
    );
    const webAfter = await kubectlJson<typeof webBefore>(['get', 'pod', 'web']);
    expect(webAfter.status.containerStatuses[0]!.containerID).toBe(
      webBefore.status.containerStatuses[0]!.containerID,
    );
    expect(webAfter.status.containerStatuses[0]!.restartCount).toBe(0);
    // The Node's Ready condition predates the restart; the agent's API answers once it listens again.
    const exec = await waitFor(
      'exec through the restarted agent',
      async () => {
        const r = await kubectl(['exec', 'web', '--', 'echo', 'still here']);
        if (r.code !== 0) throw new Error(r.stderr);
        return r;
      },
      30_000,
    );
    expect(exec.stdout).toBe('still here\n');
  }, 120_000);

  it('kubectl top nodes and pods print usage from metrics.k8s.io', async () => {
    const nodes = await waitFor(
      'kubectl top nodes',
      async () => {
        const r = await kubectl(['top', 'nodes']);
        return r.code === 0 && r.stdout.includes(NODE) ? r.stdout : undefined;
      },
      30_000,
    );
    expect(nodes).toMatch(new RegExp(`${NODE}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%`));
    const pods = await waitFor(
      'kubectl top pods',
      async () => {
        const r = await kubectl(['top', 'pods']);
        return r.code === 0 && r.stdout.includes('web') ? r.stdout : undefined;
      },
      30_000,
    );
    expect(pods).toMatch(/web\s+\d+m\s+\d+Mi/);
  }, 90_000);

  it('`flotilla image load` puts an image tarball onto the node', async () => {
    const tag = 'flotilla.test/loaded:1';
    await docker.getImage(TEST_IMAGE).tag({ repo: 'flotilla.test/loaded', tag: '1' });
    const tar = join(dataDir, 'loaded.tar');
    await run('docker', ['save', '-o', tar, tag]);
    await docker.getImage(tag).remove();
    const loaded = await flotilla(['image', 'load', tar, '--node', NODE, '--data-dir', dataDir]);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).toContain(`loaded ${tag}`);
    expect((await docker.getImage(tag).inspect()).RepoTags).toContain(tag);
    await docker.getImage(tag).remove();
    const unknown = await flotilla(['image', 'load', tar, '--node', 'nope', '--data-dir', dataDir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('there is no Docker node "nope"');
  }, 60_000);

  it('`flotilla node remove` drains the node and leaves no container, network or iptables chain', async () => {
    expect((await ourChains()).length).toBeGreaterThan(0); // the service proxy's chains exist now
    const removed = await flotilla(['node', 'remove', NODE, '--data-dir', dataDir]);
    expect(removed.code, `${removed.stdout}\n${removed.stderr}`).toBe(0);
    expect(removed.stdout).toContain('Draining node dockernode');
    expect(removed.stdout).toContain(`Node ${NODE} removed.`);

    const left = await docker.listContainers({
      all: true,
      filters: { label: [`dev.flotilla.node=${NODE}`] },
    });
    expect(left).toEqual([]);
    const agents = await docker.listContainers({
      all: true,
      filters: { label: [`dev.flotilla.agent.node=${NODE}`] },
    });
    expect(agents).toEqual([]);
    expect(
      (await docker.listNetworks({ filters: { name: [NETWORK] } })).filter((n) => n.Name === NETWORK),
    ).toEqual([]);
    expect(await ourChains()).toEqual([]);
    const nodes = await kubectl(['get', 'node', NODE]);
    expect(nodes.stderr).toContain('not found');
    const pods = await kubectlJson<{ items: unknown[] }>(['get', 'pods', '-A']);
    expect(pods.items).toEqual([]);
    expect(existsSync(join(dataDir, 'nodes', NODE))).toBe(false);
    expect((await kubectl(['get', 'machine', NODE])).stderr).toContain('not found');
    expect(await readFile(join(dataDir, 'kubeconfig'), 'utf8')).toContain('server:');
  }, 180_000);
});
