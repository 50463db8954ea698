// The SSH transport against real test hosts (scripts/testbed.sh): authentication and its failures,
// host key pinning, commands, SFTP uploads into versioned folders, a remote forward that survives a
// dropped connection, and preflight. Uses the shared test bed (instance 0) without disturbing it.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { promisify } from 'node:util';
import { utils } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthFailed,
  CommandFailed,
  connectSsh,
  HostKeyMismatch,
  HostKeyUnknown,
  HostUnreachable,
  installRelease,
  openRemoteForward,
  probeHostKey,
  runPreflight,
  type SshConnection,
  type SshTarget,
  uploadFile,
} from '../src-main/enrollment/ssh';
import { requireTestbed, testKey, type Testbed, type TestbedHost } from './support/testbed';
import { waitFor } from './support/docker';

const run = promisify(execFile);
const setup = await requireTestbed(2);
/** An agent port nothing on the test hosts listens on (a real agent there takes the default, 10250). */
const FREE_AGENT_PORT = 10299;
const testbed = setup.testbed as Testbed;

describe.skipIf(!setup.testbed)(
  `SSH transport ${setup.skipReason ? `(skipped: ${setup.skipReason})` : ''}`,
  () => {
    let h1: TestbedHost;
    let h2: TestbedHost;
    let key: string;
    const open: SshConnection[] = [];
    const rootOf = (h: TestbedHost, extra: Partial<SshTarget> = {}): SshTarget => ({
      host: h.ip,
      port: h.sshPort,
      user: 'root',
      auth: { privateKey: key },
      hostKeyFingerprint: h.hostKeyFingerprint,
      ...extra,
    });
    const connect = async (target: SshTarget) => {
      const c = await connectSsh(target, { timeoutMs: 10_000 });
      open.push(c);
      return c;
    };

    beforeAll(() => {
      [h1, h2] = testbed.hosts as [TestbedHost, TestbedHost];
      key = testKey(testbed);
    });
    afterAll(() => {
      for (const c of open) c.close();
    });

    it('connects with the key, verifying the pinned host key', async () => {
      const c = await connect(rootOf(h1));
      expect(c.hostKeyFingerprint).toBe(h1.hostKeyFingerprint);
      expect(c.hostKeyType).toBe('ssh-ed25519');
      expect((await c.run('hostname')).trim()).toBe(h1.name);
      // The fingerprint is the one OpenSSH prints for the host's key.
      const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', h1.hostPublicKey]);
      expect(stdout.split(' ')[1]).toBe(c.hostKeyFingerprint);
    });

    it('connects with a password', async () => {
      const c = await connect({
        ...rootOf(h1),
        user: testbed.password.user,
        auth: { password: testbed.password.password },
      });
      expect((await c.run('id -un')).trim()).toBe(testbed.password.user);
    });

    it('refuses a wrong key and a wrong password with AuthFailed', async () => {
      const stranger = utils.generateKeyPairSync('ed25519').private;
      const wrongKey = await connectSsh(rootOf(h1, { auth: { privateKey: stranger } })).catch(
        (e: unknown) => e,
      );
      expect(wrongKey).toBeInstanceOf(AuthFailed);
      expect((wrongKey as AuthFailed).code).toBe('AuthFailed');
      expect((wrongKey as AuthFailed).methods).toEqual(['publickey']);

      const wrongPassword = await connectSsh({
        ...rootOf(h1),
        user: testbed.password.user,
        auth: { password: 'not-the-password' },
      }).catch((e: unknown) => e);
      expect(wrongPassword).toBeInstanceOf(AuthFailed);
      expect((wrongPassword as AuthFailed).message).toContain(`${testbed.password.user}@${h1.ip}:22`);
    });

    it('on first contact returns the fingerprint to confirm and does not authenticate', async () => {
      const probed = await probeHostKey({ host: h1.ip, user: 'root' });
      expect(probed).toEqual({ fingerprint: h1.hostKeyFingerprint, keyType: 'ssh-ed25519' });
      const err = await connectSsh(rootOf(h1, { hostKeyFingerprint: undefined })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyUnknown);
      expect((err as HostKeyUnknown).fingerprint).toBe(h1.hostKeyFingerprint);
    });

    it('refuses a host whose key differs from the pinned one, naming both fingerprints', async () => {
      const err = await connectSsh(rootOf(h1, { hostKeyFingerprint: h2.hostKeyFingerprint })).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(HostKeyMismatch);
      const mismatch = err as HostKeyMismatch;
      expect(mismatch.code).toBe('HostKeyMismatch');
      expect(mismatch.expected).toBe(h2.hostKeyFingerprint);
      expect(mismatch.actual).toBe(h1.hostKeyFingerprint);
      expect(mismatch.message).toContain(h2.hostKeyFingerprint);
      expect(mismatch.message).toContain(h1.hostKeyFingerprint);
    });

    it('reports a host that does not answer SSH as unreachable', async () => {
      const err = await connectSsh(rootOf(h1, { port: 2 }), { timeoutMs: 5000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostUnreachable);
      expect((err as HostUnreachable).reason).toContain('connection refused');
    });

    it('runs commands with exit codes, output and stdin', async () => {
      const c = await connect(rootOf(h1));
      expect(await c.exec('echo out; echo err >&2; exit 3')).toEqual({
        code: 3,
        stdout: 'out\n',
        stderr: 'err\n',
      });
      expect((await c.exec('cat', { stdin: 'piped' })).stdout).toBe('piped');
      const failed = await c.run('exit 7').catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(CommandFailed);
      expect((failed as CommandFailed).exitCode).toBe(7);
      // Each host runs its own engine.
      const id1 = (await c.run(`docker info --format '{{.ID}}'`)).trim();
      const c2 = await connect(rootOf(h2));
      const id2 = (await c2.run(`docker info --format '{{.ID}}'`)).trim();
      expect(id1).not.toBe(id2);
    });

    it('reaches a host through a jump host', async () => {
      const c = await connect(
        rootOf(h2, { jump: { host: h1.ip, user: 'root', hostKeyFingerprint: h1.hostKeyFingerprint } }),
      );
      expect((await c.run('hostname')).trim()).toBe(h2.name);
      // The jump host's key is pinned too.
      const err = await connectSsh(
        rootOf(h2, { jump: { host: h1.ip, user: 'root', hostKeyFingerprint: h2.hostKeyFingerprint } }),
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyMismatch);
    });

    it('uploads a release with checksums into a versioned folder and switches it atomically', async () => {
      const c = await connect(rootOf(h1));
      const base = `/opt/flotilla/ssh-transport-test-${randomBytes(4).toString('hex')}`;
      try {
        const v1 = randomBytes(300_000);
        const first = await installRelease(c, {
          baseDir: base,
          version: '1.0.0',
          files: [{ name: 'agent.mjs', source: { data: v1 }, mode: 0o755 }],
        });
        expect(first.files[0]!.uploaded).toBe(true);
        expect(first.switched).toBe(true);
        const sum = (await c.run(`sha256sum ${base}/current/agent.mjs`)).split(' ')[0];
        expect(sum).toBe(first.files[0]!.sha256);
        expect((await c.run(`stat -c %a ${base}/versions/1.0.0/agent.mjs`)).trim()).toBe('755');
        // Again: nothing is sent, nothing switches.
        const again = await installRelease(c, {
          baseDir: base,
          version: '1.0.0',
          files: [{ name: 'agent.mjs', source: { data: v1 } }],
        });
        expect(again.files[0]!.uploaded).toBe(false);
        expect(again.switched).toBe(false);
        // Upgrade: current now points at 1.1.0; 1.0.0 is still there; no temporary files remain.
        const up = await installRelease(c, {
          baseDir: base,
          version: '1.1.0',
          files: [{ name: 'agent.mjs', source: { data: Buffer.from('v2') } }],
        });
        expect(up.switched).toBe(true);
        expect((await c.run(`readlink ${base}/current`)).trim()).toBe('versions/1.1.0');
        expect((await c.run(`cat ${base}/current/agent.mjs`)).trim()).toBe('v2');
        expect((await c.run(`find ${base} -name '*.tmp-*' | wc -l`)).trim()).toBe('0');
        // The per-host folder: the other host does not see it.
        const c2 = await connect(rootOf(h2));
        expect((await c2.exec(`test -e ${base}`)).code).toBe(1);
      } finally {
        await c.exec(`rm -rf ${base}`);
      }
    });

    it('uploads as an unprivileged user into its home', async () => {
      const c = await connect({ ...rootOf(h1), user: testbed.password.user, auth: { privateKey: key } });
      const r = await uploadFile(c, { data: Buffer.from('hello') }, 'upload-test/file.txt');
      expect(r.uploaded).toBe(true);
      expect(await c.run('cat upload-test/file.txt')).toBe('hello');
      await c.run('rm -rf upload-test');
    });

    it('carries connections over a remote forward and re-establishes it after a drop', async () => {
      const echo: Server = createServer((s) => s.pipe(s));
      await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
      const localPort = (echo.address() as AddressInfo).port;
      const states: string[] = [];
      const forward = await openRemoteForward({
        connect: () => connectSsh(rootOf(h1)),
        remotePort: 0,
        local: { host: '127.0.0.1', port: localPort },
        retry: { initialMs: 100, maxMs: 1000 },
        onStateChange: (s) => states.push(s),
      });
      const probe = `exec 3<>/dev/tcp/127.0.0.1/${forward.remotePort}; echo ping >&3; head -n1 <&3`;
      try {
        expect(forward.remotePort).toBeGreaterThan(0);
        const c = await connect(rootOf(h1));
        expect((await c.run(`bash -c '${probe}'`, { timeoutMs: 10_000 })).trim()).toBe('ping');

        // Drop it from the machine's side: end the sshd process serving the forward's connection.
        const sshPort = forward.connection()!.localPort!;
        const { stdout } = await run('ip', [
          'netns',
          'exec',
          h1.netns,
          'ss',
          '-tnpH',
          `( sport = :22 and dport = :${sshPort} )`,
        ]);
        const pids = [...new Set([...stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))];
        expect(pids.length).toBeGreaterThan(0);
        for (const pid of pids) process.kill(pid, 'SIGKILL');
        await waitFor('the forward to drop', () => forward.status().state !== 'up', 10_000);
        await forward.waitUntilUp(15_000);
        expect(forward.status().reestablished).toBe(1);
        expect(states).toContain('down');
        expect((await c.run(`bash -c '${probe}'`, { timeoutMs: 10_000 })).trim()).toBe('ping');
        expect(forward.status().connections).toBe(2);
      } finally {
        await forward.stop();
        echo.close();
      }
      // Stopped: the port no longer answers on the machine.
      const c = await connect(rootOf(h1));
      await waitFor(
        'the remote port to close',
        async () => (await c.exec(`bash -c '${probe}'`, { timeoutMs: 5000 })).code !== 0,
        10_000,
      );
    });

    describe('preflight', () => {
      let api: Server;
      let apiPort: number;
      beforeAll(async () => {
        // Something listening on the machine's bridge address, where a test host can reach it directly.
        api = createServer((s) => s.end());
        await new Promise<void>((r) => api.listen(0, testbed.gateway, r));
        apiPort = (api.address() as AddressInfo).port;
      });
      afterAll(() => api.close());

      it('passes on a test host, choosing direct reachability and the supervisor', async () => {
        const c = await connect(rootOf(h1));
        // Other suites enroll these shared hosts concurrently, so an agent may hold the default 10250.
        const report = await runPreflight(c, {
          apiServer: { host: testbed.gateway, port: apiPort },
          agentPort: FREE_AGENT_PORT,
        });
        expect(report.checks.filter((x) => x.status === 'fail')).toEqual([]);
        expect(report.ok).toBe(true);
        expect(report.facts).toMatchObject({
          os: 'Linux',
          hostname: h1.name,
          dockerAccess: 'user',
          init: 'supervisor',
          reachability: 'direct',
        });
        expect(['x64', 'arm64']).toContain(report.facts.agentArch);
        expect(Math.abs(report.facts.clockSkewMs!)).toBeLessThan(2000);
        // An address the host cannot reach (the machine's loopback) means a tunnel.
        const viaTunnel = await runPreflight(c, {
          apiServer: { host: '127.0.0.1', port: apiPort },
          agentPort: FREE_AGENT_PORT,
        });
        expect(viaTunnel.facts.reachability).toBe('tunnel');
        expect(viaTunnel.ok).toBe(true);
      });

      it('fails clearly when Docker is missing', async () => {
        const c = await connect(rootOf(h1));
        // A PATH with every tool the checks use except docker (the host's /tmp is its own).
        const bin = '/tmp/flotilla-no-docker';
        await c.run(
          `mkdir -p ${bin} && for t in sh bash uname id cat awk df date dirname tr cut sort timeout grep; do ` +
            `ln -sf "$(command -v $t)" ${bin}/$t; done`,
        );
        const report = await runPreflight(c, { path: bin });
        expect(report.facts.dockerAccess).toBe('none');
        expect(report.ok).toBe(false);
        const docker = report.checks.find((x) => x.name === 'docker')!;
        expect(docker.status).toBe('fail');
        expect(docker.message).toMatch(
          /Docker is not installed on root@10\.77\.\d+\.\d+:22 .*install Docker Engine/,
        );
      });

      it('tells a user without Docker access how to get it', async () => {
        const c = await connect({ ...rootOf(h1), user: testbed.password.user, auth: { privateKey: key } });
        const report = await runPreflight(c);
        expect(report.ok).toBe(false);
        const docker = report.checks.find((x) => x.name === 'docker')!;
        expect(docker.message).toContain(`usermod -aG docker ${testbed.password.user}`);
        // With sudo allowed but not available, it says so.
        const withSudo = await runPreflight(c, { sudo: true });
        expect(withSudo.checks.find((x) => x.name === 'docker')!.message).toMatch(/sudo/);
      });
    });
  },
);
