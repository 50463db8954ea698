// SSH enrollment end to end with the real programs: `flotilla server --host 0.0.0.0` (a child
// process) runs the enrollment controller; `flotilla node add ssh` enrolls a test host (a network
// namespace with its own sshd and dockerd, scripts/testbed.sh) and must end with the node Ready and
// listed by kubectl with the host's IP. A wrong pinned host key and a wrong login key must fail with
// their reason in the Machine's status and the CLI, leaving nothing on the host; `flotilla node remove`
// must leave nothing of Flotilla on the host (files, agent process, containers, network, chains).
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from './support/flotilla-process';
import { requireTestbed, type Testbed, type TestbedHost } from './support/testbed';
import { which } from './support/tools';

const run = promisify(execFile);
const repoRoot = new URL('..', import.meta.url).pathname;

const { testbed, skipReason: testbedSkip } = await requireTestbed(2);
const skip = testbedSkip ?? (which('kubectl') ? undefined : 'kubectl not found');

let dataDir: string;
let server: ChildProcess | undefined;
let knownHosts: string;
let port: number;

async function startServer(): Promise<void> {
  server = spawn(
    process.execPath,
    ['bin/flotilla.js', 'server', '--data-dir', dataDir, '--host', '0.0.0.0', '--port', String(port)],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  server.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`flotilla server did not start: ${err}`)), 60_000);
    server!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    server!.once('exit', (code) => reject(new Error(`flotilla server exited (${code}): ${err}`)));
  });
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function flotilla(args: string[], timeoutMs = 120_000): Promise<Result> {
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

async function kubectl(args: string[]): Promise<string> {
  const { stdout } = await run('kubectl', ['--kubeconfig', join(dataDir, 'kubeconfig'), ...args], {
    timeout: 30_000,
  });
  return stdout;
}

/** Runs a command on a test host as root (its key pinned from the testbed's summary). */
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

/** What of Flotilla is on a host: files, containers, the pod network, iptables chains. */
async function leftovers(host: TestbedHost): Promise<string> {
  return (
    await onHost(
      host,
      [
        'for d in /opt/flotilla /var/lib/flotilla-agent /var/log/flotilla /etc/flotilla; do [ -d $d ] && find $d -mindepth 1 | head -3; done',
        'ls /run/flotilla-agent*.pid 2>/dev/null',
        'docker ps -aq --filter label=dev.flotilla.node',
        'docker network ls -q --filter name=flotilla-pods',
        'iptables-save | grep -E "^:FLOTILLA|-j FLOTILLA" | head -3',
        'true',
      ].join('; '),
    )
  ).trim();
}

async function machine(name: string): Promise<{
  status?: { phase?: string; steps?: { name: string; state: string; message?: string }[] };
}> {
  return JSON.parse(await kubectl(['get', 'machine', name, '-o', 'json'])) as never;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!!skip)(`SSH enrollment${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const tb = testbed as Testbed;
  const [vm1, vm2] = tb?.hosts ?? [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'flotilla-enroll-ssh-'));
    knownHosts = join(dataDir, 'known_hosts');
    const lines = await Promise.all(
      tb.hosts.map(async (h) => `${h.ip} ${(await readFile(h.hostPublicKey, 'utf8')).trim()}`),
    );
    await writeFile(knownHosts, `${lines.join('\n')}\n`);
    for (const h of [vm1!, vm2!]) expect(await leftovers(h)).toBe('');
    port = await freeLoopbackPort();
    await startServer();
  }, 90_000);

  afterAll(async () => {
    // Leave the shared test hosts clean even when a test failed half-way.
    for (const name of [
      'ssh-vm1',
      'ssh-badhostkey',
      'ssh-badkey',
      'ssh-badpw',
      'ssh-nodocker',
      'ssh-restart',
    ])
      await flotilla(['node', 'remove', name, '--data-dir', dataDir]).catch(() => undefined);
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 120_000);

  it('enrolls a test host through the CLI: the node is Ready and kubectl shows its IP', async () => {
    const started = Date.now();
    const r = await flotilla([
      'node',
      'add',
      'ssh',
      `root@${vm1!.ip}`,
      '--key',
      vm1!.privateKey,
      '--name',
      'ssh-vm1',
      '--accept-host-key',
      vm1!.hostKeyFingerprint,
      '--data-dir',
      dataDir,
    ]);
    const ms = Date.now() - started;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const step of ['connect', 'verify-host-key', 'preflight', 'push-agent', 'start-agent', 'wait-ready'])
      expect(r.stdout).toContain(`✓ ${step}`);
    expect(r.stdout).toContain('Node ssh-vm1 is Ready');
    console.log(`node add ssh → Ready: ${ms} ms (CLI process start included)`);

    const wide = await kubectl(['get', 'nodes', '-o', 'wide']);
    const row = wide.split('\n').find((l) => l.startsWith('ssh-vm1 '));
    expect(row).toMatch(/\bReady\b/);
    expect(row).toContain(vm1!.ip);
    const m = await machine('ssh-vm1');
    expect(m.status?.phase).toBe('Ready');
    expect(m.status?.steps?.every((s) => s.state === 'done')).toBe(true);
    const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=ssh-vm1']);
    for (const reason of ['Connected', 'Preflight', 'PushAgent', 'StartAgent', 'Enrolled'])
      expect(events).toContain(reason);
  }, 180_000);

  it('refuses a host key other than the pinned one, naming both, and installs nothing', async () => {
    const wrong = 'SHA256:' + 'A'.repeat(43);
    const r = await flotilla([
      'node',
      'add',
      'ssh',
      `root@${vm2!.ip}`,
      '--key',
      vm2!.privateKey,
      '--name',
      'ssh-badhostkey',
      '--accept-host-key',
      wrong,
      '--data-dir',
      dataDir,
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(wrong);
    expect(r.stderr).toContain(vm2!.hostKeyFingerprint);
    const m = await machine('ssh-badhostkey');
    expect(m.status?.phase).toBe('Failed');
    const step = m.status?.steps?.find((s) => s.name === 'verify-host-key');
    expect(step?.state).toBe('failed');
    expect(step?.message).toContain(wrong);
    expect(step?.message).toContain(vm2!.hostKeyFingerprint);
    expect(await leftovers(vm2!)).toBe('');
    const removed = await flotilla(['node', 'remove', 'ssh-badhostkey', '--data-dir', dataDir]);
    expect(removed.code).toBe(0);
  }, 120_000);

  it('reports a login key the host does not accept as AuthFailed, and installs nothing', async () => {
    const keyFile = join(dataDir, 'wrong_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    const r = await flotilla([
      'node',
      'add',
      'ssh',
      `root@${vm2!.ip}`,
      '--key',
      keyFile,
      '--name',
      'ssh-badkey',
      '--accept-host-key',
      vm2!.hostKeyFingerprint,
      '--data-dir',
      dataDir,
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/authentication to root@10\.77\.0\.\d+:22 failed/);
    const m = await machine('ssh-badkey');
    expect(m.status?.phase).toBe('Failed');
    const connect = m.status?.steps?.find((s) => s.name === 'connect');
    expect(connect?.state).toBe('failed');
    expect(connect?.message).toMatch(/authentication .* failed/);
    expect(JSON.stringify((await machine('ssh-badkey')) as object)).toContain('AuthFailed');
    expect(await leftovers(vm2!)).toBe('');
    expect((await flotilla(['node', 'remove', 'ssh-badkey', '--data-dir', dataDir])).code).toBe(0);
  }, 120_000);

  it('logs in with a password from stdin: a wrong one fails, a user without Docker fails preflight', async () => {
    const { user, password } = tb.password;
    const add = (name: string, pw: string) =>
      new Promise<Result>((resolve) => {
        const child = execFile(
          process.execPath,
          [
            'bin/flotilla.js',
            'node',
            'add',
            'ssh',
            `${user}@${vm2!.ip}`,
            '--password-stdin',
            '--name',
            name,
            '--accept-host-key',
            vm2!.hostKeyFingerprint,
            '--data-dir',
            dataDir,
          ],
          { cwd: repoRoot, timeout: 60_000 },
          (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        child.stdin!.end(`${pw}\n`);
      });
    const wrong = await add('ssh-badpw', 'not-the-password');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/authentication to .* failed \(tried password\)/);
    const noDocker = await add('ssh-nodocker', password);
    expect(noDocker.code).not.toBe(0);
    expect(noDocker.stdout).toContain('✓ connect');
    expect(noDocker.stderr).toMatch(/preflight: docker: .*cannot use Docker/);
    expect((await machine('ssh-nodocker')).status?.phase).toBe('Failed');
    for (const name of ['ssh-badpw', 'ssh-nodocker'])
      expect((await flotilla(['node', 'remove', name, '--data-dir', dataDir])).code).toBe(0);
    expect(await leftovers(vm2!)).toBe('');
  }, 120_000);

  it('completes an enrollment when the control plane is killed in the middle of it', async () => {
    const started = Date.now();
    const cli = spawn(
      process.execPath,
      [
        'bin/flotilla.js',
        'node',
        'add',
        'ssh',
        `root@${vm2!.ip}`,
        '--key',
        vm2!.privateKey,
        '--name',
        'ssh-restart',
        '--accept-host-key',
        vm2!.hostKeyFingerprint,
        '--data-dir',
        dataDir,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    cli.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    cli.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    await waitFor(
      'preflight to finish',
      async () => (out.includes('✓ preflight') ? true : undefined),
      30_000,
    );
    // SIGKILL: no clean stop; the enrollment is somewhere in push-agent or start-agent.
    const killed = new Promise((r) => server!.once('exit', r));
    server!.kill('SIGKILL');
    await killed;
    await startServer();
    const code = await exited;
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain('Node ssh-restart is Ready');
    console.log(`enrollment across a control-plane restart: ${Date.now() - started} ms`);
    const row = (await kubectl(['get', 'nodes', '-o', 'wide']))
      .split('\n')
      .find((l) => l.startsWith('ssh-restart '));
    expect(row).toMatch(/\bReady\b/);
    expect(row).toContain(vm2!.ip);
    // The supervisor and its agent run (the resumed run found or started them).
    const running = await onHost(
      vm2!,
      'for f in /run/flotilla-agent-supervisor.pid /run/flotilla-agent.pid; do kill -0 $(cat $f) && echo up; done',
    );
    expect(running.trim().split('\n')).toEqual(['up', 'up']);
    expect((await flotilla(['node', 'remove', 'ssh-restart', '--data-dir', dataDir])).code).toBe(0);
    expect(await leftovers(vm2!)).toBe('');
  }, 180_000);

  it('removes the machine: nothing of Flotilla remains on the host', async () => {
    const pids = (await onHost(vm1!, 'cat /run/flotilla-agent-supervisor.pid /run/flotilla-agent.pid'))
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
    expect(pids).toHaveLength(2);
    // The test hosts share this machine's process table, so their processes are visible here.
    for (const pid of pids) expect(() => process.kill(pid, 0)).not.toThrow();
    const r = await flotilla(['node', 'remove', 'ssh-vm1', '--data-dir', dataDir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await leftovers(vm1!)).toBe('');
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    await waitFor(
      'the node and the machine to be gone',
      async () => {
        const out = await kubectl(['get', 'nodes,machines', '-o', 'name']);
        return out.includes('ssh-vm1') ? undefined : true;
      },
      10_000,
    );
  }, 120_000);
});
