// Reaching the API server through an SSH remote forward, and reaching a machine through a jump host,
// with the real programs: `flotilla server` listening on 127.0.0.1 only (a child process), so a test
// host cannot reach it directly and enrollment must pick the tunnel; the node must be Ready, `kubectl
// logs` must work, and after the tunnel's SSH session is killed on the host — and after the control
// plane is SIGKILLed and started again — the tunnel must come back by itself with the node Ready and
// new pods starting on it. Then a host that refuses SSH from this machine (iptables in its namespace)
// is enrolled through the other host as jump host, both host keys pinned.
// Uses test-bed instance 9 (its own hosts, bridge and rules).
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from './support/flotilla-process';
import { requireTestbed, type Testbed, type TestbedHost } from './support/testbed';
import { which } from './support/tools';

const run = promisify(execFile);
const repoRoot = new URL('..', import.meta.url).pathname;
const INSTANCE = 9;
const IMAGE = 'flotilla.test/busybox:1';
const RULE_COMMENT = 'flotilla-test-enroll-ssh-tunnel';

const { testbed, skipReason: testbedSkip } = await requireTestbed(2, INSTANCE);
const skip = testbedSkip ?? (which('kubectl') ? undefined : 'kubectl not found');

let dataDir: string;
let server: ChildProcess | undefined;
let serverLog = '';
let knownHosts: string;
let port: number;

async function startServer(): Promise<void> {
  // No --host: the default, 127.0.0.1 — the test hosts cannot reach it.
  server = spawn(
    process.execPath,
    ['bin/flotilla.js', 'server', '--data-dir', dataDir, '--port', String(port)],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  server.stderr!.on('data', (d: Buffer) => (serverLog += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`flotilla server did not start: ${serverLog}`)), 60_000);
    server!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      serverLog += d.toString();
      if (out.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    server!.once('exit', (code) => reject(new Error(`flotilla server exited (${code}): ${serverLog}`)));
  });
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function flotilla(args: string[], timeoutMs = 150_000): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/flotilla.js', ...args], {
      cwd: repoRoot,
      timeout: timeoutMs,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function kubectl(args: string[], input?: string): Promise<string> {
  const child = run('kubectl', ['--kubeconfig', join(dataDir, 'kubeconfig'), ...args], { timeout: 30_000 });
  if (input !== undefined) child.child.stdin!.end(input);
  return (await child).stdout;
}

/** Runs a command on a test host as root, over SSH from this machine (vm1 only: vm2 refuses us later). */
async function onHost(host: TestbedHost, command: string): Promise<string> {
  const { stdout } = await run(
    'ssh',
    [
      '-i',
      host.privateKey,
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'LogLevel=error',
      `root@${host.ip}`,
      command,
    ],
    { timeout: 30_000 },
  );
  return stdout;
}

/** Runs a command in a test host's network namespace (from this machine, not over SSH). */
async function inNetns(host: TestbedHost, command: string[]): Promise<string> {
  return (await run('ip', ['netns', 'exec', host.netns, ...command], { timeout: 30_000 })).stdout;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}
interface MachineJson {
  status?: {
    phase?: string;
    reachability?: string;
    conditions?: Condition[];
    observedJumpHostKeyFingerprint?: string;
    steps?: { name: string; state: string; message?: string }[];
  };
}

async function machine(name: string): Promise<MachineJson> {
  return JSON.parse(await kubectl(['get', 'machine', name, '-o', 'json'])) as MachineJson;
}

function tunnelCondition(m: MachineJson): Condition | undefined {
  return m.status?.conditions?.find((c) => c.type === 'TunnelUp');
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function nodeReady(name: string): Promise<boolean> {
  const node = JSON.parse(await kubectl(['get', 'node', name, '-o', 'json'])) as {
    status?: { conditions?: Condition[] };
  };
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

function podManifest(name: string, nodeName: string, text: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: IMAGE, command: ['sh', '-c', `echo ${text}; sleep 3600`] }],
    },
  });
}

/** Starts a pod on the node and waits until its log shows what it printed: the whole path works. */
async function podLogs(name: string, nodeName: string, timeoutMs = 60_000): Promise<string> {
  const text = `hello-${name}`;
  await kubectl(['apply', '-f', '-'], podManifest(name, nodeName, text));
  return waitFor(
    `kubectl logs ${name}`,
    async () => {
      const out = await kubectl(['logs', name]);
      return out.includes(text) ? out : undefined;
    },
    timeoutMs,
  );
}

/** Whether this machine can open TCP to host:port within the time (a DROP rule makes it time out). */
function tcpReachable(host: string, tcpPort: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host, port: tcpPort });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/** Waits until a process other than `oldPids` listens on the host's 127.0.0.1:port (polled every 20 ms). */
async function listenerBack(
  host: TestbedHost,
  tcpPort: number,
  oldPids: number[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await inNetns(host, ['ss', '-ltnpH', `sport = :${tcpPort}`]);
    const pids = (out.match(/pid=(\d+)/g) ?? []).map((p) => Number(p.slice(4)));
    if (out.includes(`127.0.0.1:${tcpPort}`) && pids.some((p) => !oldPids.includes(p))) return;
    if (Date.now() > deadline) throw new Error(`nothing new listens on ${host.name}'s port ${tcpPort}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe.skipIf(!!skip)(`SSH tunnel and jump host${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const tb = testbed as Testbed;
  const [vm1, vm2] = tb?.hosts ?? [];
  let remotePort = 0;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'flotilla-enroll-tunnel-'));
    knownHosts = join(dataDir, 'known_hosts');
    const lines = await Promise.all(
      tb.hosts.map(async (h) => `${h.ip} ${(await readFile(h.hostPublicKey, 'utf8')).trim()}`),
    );
    await writeFile(knownHosts, `${lines.join('\n')}\n`);
    port = await freeLoopbackPort();
    await startServer();
  }, 90_000);

  afterAll(async () => {
    for (const name of ['tun-vm1', 'jump-vm2', 'jump-badkey', 'jump-unknown'])
      await flotilla(['node', 'remove', name, '--data-dir', dataDir]).catch(() => undefined);
    if (vm2) await dropRule(vm2, '-D').catch(() => undefined);
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 180_000);

  it('picks the tunnel when the host cannot reach the API server; node Ready, kubectl logs works', async () => {
    const started = Date.now();
    const r = await flotilla([
      'node',
      'add',
      'ssh',
      `root@${vm1!.ip}`,
      '--key',
      vm1!.privateKey,
      '--name',
      'tun-vm1',
      '--accept-host-key',
      vm1!.hostKeyFingerprint,
      '--data-dir',
      dataDir,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Node tun-vm1 is Ready');
    expect(r.stdout).toMatch(
      /✓ preflight: .*cannot reach the API server at 10\.77\.9\.1:\d+: the agent uses an SSH tunnel/,
    );
    console.log(`node add ssh (tunnel) → Ready: ${Date.now() - started} ms`);

    const m = await machine('tun-vm1');
    expect(m.status?.phase).toBe('Ready');
    expect(m.status?.reachability).toBe('tunnel');
    const up = tunnelCondition(m);
    expect(up?.status).toBe('True');
    expect(up?.reason).toBe('Established');
    expect(up?.lastTransitionTime).toBeTruthy();
    // The other direction (logs, exec) goes straight to the host's agent port, checked at enrollment.
    expect(m.status?.conditions?.find((c) => c.type === 'AgentReachable')).toMatchObject({
      status: 'True',
      message: `the agent's API at ${vm1!.ip}:10250`,
    });
    // The agent's config names the host's own loopback, where the tunnel listens.
    const config = JSON.parse(await onHost(vm1!, 'cat /opt/flotilla/current/config.json')) as {
      apiServer: string;
    };
    const match = /^https:\/\/127\.0\.0\.1:(\d+)$/.exec(config.apiServer);
    expect(match).not.toBeNull();
    remotePort = Number(match![1]);
    expect(up?.message).toContain(`127.0.0.1:${remotePort}`);
    // Held by this machine's sshd session, not reachable from outside the host.
    expect(await inNetns(vm1!, ['ss', '-ltnH', `sport = :${remotePort}`])).toContain(
      `127.0.0.1:${remotePort}`,
    );

    const row = (await kubectl(['get', 'nodes', '-o', 'wide']))
      .split('\n')
      .find((l) => l.startsWith('tun-vm1 '));
    expect(row).toMatch(/\bReady\b/);
    expect(row).toContain(vm1!.ip);
    expect(await podLogs('tun-logs-1', 'tun-vm1')).toContain('hello-tun-logs-1');
    const wide = await kubectl(['get', 'machines', '-o', 'wide']);
    expect(wide.split('\n').find((l) => l.startsWith('tun-vm1 '))).toContain('tunnel');
  }, 240_000);

  it('re-establishes the tunnel after its SSH session is killed on the host; the node stays Ready', async () => {
    expect(remotePort).toBeGreaterThan(0);
    const times: number[] = [];
    for (let round = 1; round <= 3; round++) {
      const before = tunnelCondition(await machine('tun-vm1'));
      // The sshd process serving our session is the one listening on the forwarded port.
      const pids = (await inNetns(vm1!, ['ss', '-ltnpH', `sport = :${remotePort}`]))
        .match(/pid=(\d+)/g)!
        .map((p) => Number(p.slice(4)));
      expect(pids.length).toBeGreaterThan(0);
      const killedAt = Date.now();
      for (const pid of new Set(pids)) process.kill(pid, 'SIGKILL');
      // Timed on the host: the forward is back when a new sshd session listens on the same port.
      await listenerBack(vm1!, remotePort, pids, 30_000);
      times.push(Date.now() - killedAt);
      const back = await waitFor(
        'TunnelUp to say the tunnel was re-established',
        async () => {
          const c = tunnelCondition(await machine('tun-vm1'));
          return c?.status === 'True' &&
            c.reason === 'Reestablished' &&
            c.lastTransitionTime !== before?.lastTransitionTime &&
            Date.parse(c.lastTransitionTime!) >= killedAt - 1000
            ? c
            : undefined;
        },
        30_000,
      );
      expect(back.message).toContain(`re-established ${round} time`);
    }
    console.log(
      `tunnel re-established after its SSH session was killed: ${times.join(', ')} ms (median ${median(times)} ms)`,
    );
    expect(await nodeReady('tun-vm1')).toBe(true);
    // The agent talks through the new tunnel: it starts a new pod and reports it.
    expect(await podLogs('tun-logs-2', 'tun-vm1')).toContain('hello-tun-logs-2');
    const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=tun-vm1']);
    expect(events).toContain('TunnelDown');
    expect(events).toContain('TunnelUp');
  }, 180_000);

  it('holds the tunnel again after the control plane is killed and restarted', async () => {
    const oldPids = (
      (await inNetns(vm1!, ['ss', '-ltnpH', `sport = :${remotePort}`])).match(/pid=(\d+)/g) ?? []
    ).map((p) => Number(p.slice(4)));
    const killed = new Promise((r) => server!.once('exit', r));
    server!.kill('SIGKILL');
    await killed;
    const restartedAt = Date.now();
    await startServer();
    const serving = Date.now();
    await listenerBack(vm1!, remotePort, oldPids, 60_000);
    console.log(
      `tunnel held again after a control-plane SIGKILL: ${Date.now() - serving} ms after the new server listened (${Date.now() - restartedAt} ms after the kill, start-up included)`,
    );
    const up = await waitFor(
      'the tunnel after the restart',
      async () => {
        const c = tunnelCondition(await machine('tun-vm1'));
        return c?.status === 'True' &&
          c.reason === 'Established' &&
          Date.parse(c.lastTransitionTime!) >= restartedAt - 1000
          ? c
          : undefined;
      },
      60_000,
    );
    // Same port as before: the agent's config (and release) did not change.
    expect(up.message).toContain(`127.0.0.1:${remotePort}`);
    await waitFor(
      'node tun-vm1 Ready after the restart',
      async () => ((await nodeReady('tun-vm1')) ? true : undefined),
      60_000,
    );
    expect(await podLogs('tun-logs-3', 'tun-vm1')).toContain('hello-tun-logs-3');
  }, 180_000);

  it('removes the tunnelled machine: the agent is gone, then the tunnel', async () => {
    const r = await flotilla(['node', 'remove', 'tun-vm1', '--data-dir', dataDir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(
      await onHost(
        vm1!,
        'find /opt/flotilla -mindepth 1 | head -3; ls /run/flotilla-agent*.pid 2>/dev/null; true',
      ),
    ).toBe('');
    await waitFor(
      'the tunnel to close',
      async () =>
        (await inNetns(vm1!, ['ss', '-ltnH', `sport = :${remotePort}`])).trim() === '' ? true : undefined,
      10_000,
    );
  }, 120_000);

  async function dropRule(host: TestbedHost, op: '-I' | '-D'): Promise<void> {
    await inNetns(host, [
      'iptables',
      op,
      'INPUT',
      '-p',
      'tcp',
      '--dport',
      '22',
      '-s',
      tb.gateway,
      '-m',
      'comment',
      '--comment',
      RULE_COMMENT,
      '-j',
      'DROP',
    ]);
  }

  it('enrolls a host that refuses SSH from here through a jump host, both keys pinned', async () => {
    await dropRule(vm2!, '-I');
    expect(await tcpReachable(vm2!.ip, 22, 2000)).toBe(false);
    const add = (name: string, extra: string[]) =>
      flotilla([
        'node',
        'add',
        'ssh',
        `root@${vm2!.ip}`,
        '--key',
        vm2!.privateKey,
        '--name',
        name,
        '--accept-host-key',
        vm2!.hostKeyFingerprint,
        '--jump',
        `root@${vm1!.ip}`,
        '--data-dir',
        dataDir,
        ...extra,
      ]);

    // First contact with the jump host, non-interactive: stops and names the flag to accept it.
    const unknown = await add('jump-unknown', []);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain(`--accept-jump-host-key ${vm1!.hostKeyFingerprint}`);
    // A jump host presenting another key than the pinned one: refused, the jump host named.
    const wrong = 'SHA256:' + 'B'.repeat(43);
    const bad = await add('jump-badkey', ['--accept-jump-host-key', wrong]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(`jump host root@${vm1!.ip}:22`);
    expect(bad.stderr).toContain(wrong);
    expect(bad.stderr).toContain(vm1!.hostKeyFingerprint);
    expect((await machine('jump-badkey')).status?.observedJumpHostKeyFingerprint).toBe(
      vm1!.hostKeyFingerprint,
    );
    expect((await flotilla(['node', 'remove', 'jump-badkey', '--data-dir', dataDir])).code).toBe(0);

    const started = Date.now();
    const r = await add('jump-vm2', ['--accept-jump-host-key', vm1!.hostKeyFingerprint]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`through root@${vm1!.ip}:22`);
    expect(r.stdout).toContain(`the jump host's ${vm1!.hostKeyFingerprint} too`);
    expect(r.stdout).toContain('Node jump-vm2 is Ready');
    console.log(`node add ssh --jump → Ready: ${Date.now() - started} ms`);
    const m = await machine('jump-vm2');
    expect(m.status?.reachability).toBe('tunnel');
    expect(tunnelCondition(m)?.status).toBe('True');
    const row = (await kubectl(['get', 'nodes', '-o', 'wide']))
      .split('\n')
      .find((l) => l.startsWith('jump-vm2 '));
    expect(row).toMatch(/\bReady\b/);
    expect(row).toContain(vm2!.ip);
    // Still refused directly: everything went through vm1.
    expect(await tcpReachable(vm2!.ip, 22, 2000)).toBe(false);
    expect(await podLogs('jump-logs', 'jump-vm2')).toContain('hello-jump-logs');

    // Removal also goes through the jump host and leaves nothing behind.
    const removed = await flotilla(['node', 'remove', 'jump-vm2', '--data-dir', dataDir]);
    expect(removed.stderr).toBe('');
    expect(removed.code).toBe(0);
    // (Its namespace shows whether anything still listens: the agent's API, or a tunnel's sshd.)
    const listening = (await inNetns(vm2!, ['ss', '-ltnH'])).split('\n');
    expect(listening.filter((l) => /:10250\b|127\.0\.0\.1:/.test(l))).toEqual([]);
  }, 300_000);
});
