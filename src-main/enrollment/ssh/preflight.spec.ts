import { describe, expect, it } from 'vitest';
import type { ExecResult } from './connection';
import {
  evaluatePreflight,
  parseFacts,
  preflightFailureMessage,
  runPreflight,
  type PreflightReport,
} from './preflight';

const T0 = 1_750_000_000_000;
const timing = { sentAt: T0, receivedAt: T0 + 100 };

// What the script prints on a healthy Debian VM with systemd.
const HEALTHY = {
  os: 'Linux',
  arch: 'x86_64',
  kernel: '6.1.0-18-amd64',
  hostname: 'vm1',
  user: 'root',
  uid: '0',
  osImage: 'Debian GNU/Linux 12 (bookworm)',
  pid1: 'systemd',
  systemdRun: 'yes',
  dockerPath: '/usr/bin/docker',
  dockerUserRc: '0',
  dockerUserOut: '20.10.24+dfsg1',
  diskFreeKb: String(20 * 1024 * 1024),
  dockerDiskFreeKb: String(30 * 1024 * 1024),
  memTotalKb: String(4 * 1024 * 1024),
  memAvailableKb: String(3 * 1024 * 1024),
  listening: '0016 0035',
  api: 'yes',
  timeMs: String(T0 + 50),
};

function judge(facts: Record<string, string | undefined>, options = {}): PreflightReport {
  const raw = new Map(
    Object.entries({ ...HEALTHY, ...facts }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return evaluatePreflight(
    raw,
    { apiServer: { host: '10.0.0.1', port: 6443 }, ...options },
    timing,
    'root@vm1:22',
  );
}

const check = (r: PreflightReport, name: string) => r.checks.find((c) => c.name === name)!;

describe('preflight judgement', () => {
  it('passes a healthy systemd host that reaches the API server', () => {
    const r = judge({});
    expect(r.checks.map((c) => c.status)).toEqual(Array(9).fill('ok'));
    expect(r.ok).toBe(true);
    expect(r.facts).toMatchObject({
      agentArch: 'x64',
      dockerAccess: 'user',
      dockerVersion: '20.10.24+dfsg1',
      init: 'systemd',
      reachability: 'direct',
      diskFreeBytes: 20 * 1024 ** 3,
      clockSkewMs: 0,
      listeningPorts: [22, 53],
    });
  });

  it('refuses other operating systems and architectures', () => {
    expect(check(judge({ os: 'Darwin' }), 'os')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('needs Linux'),
    });
    expect(judge({ arch: 'aarch64' }).facts.agentArch).toBe('arm64');
    const r = judge({ arch: 'riscv64' });
    expect(check(r, 'arch')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('x86_64 and aarch64'),
    });
    expect(r.ok).toBe(false);
  });

  it('says what to do about Docker: missing, daemon down, no permission, sudo', () => {
    const missing = judge({ dockerPath: undefined, dockerUserRc: undefined });
    expect(check(missing, 'docker').message).toMatch(
      /^Docker is not installed on root@vm1:22 .*install Docker Engine/,
    );
    const down = judge({
      dockerUserRc: '1',
      dockerUserOut:
        'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
    });
    expect(check(down, 'docker').message).toMatch(/daemon does not answer.*systemctl start docker/);
    const denied = {
      user: 'ops',
      dockerUserRc: '1',
      dockerUserOut: 'permission denied while trying to connect to the Docker daemon socket',
    };
    expect(check(judge(denied), 'docker').message).toContain('sudo usermod -aG docker ops');
    const viaSudo = judge(
      { ...denied, dockerSudoRc: '0', dockerSudoOut: '24.0.7', sudoPath: '/usr/bin/sudo' },
      { sudo: true },
    );
    expect(check(viaSudo, 'docker')).toMatchObject({
      status: 'ok',
      message: 'Docker 24.0.7 usable through sudo (ops cannot use it directly)',
    });
    expect(viaSudo.facts.dockerAccess).toBe('sudo');
    const sudoPassword = judge(
      {
        ...denied,
        dockerSudoRc: '1',
        dockerSudoOut: 'sudo: a password is required',
        sudoPath: '/usr/bin/sudo',
      },
      { sudo: true },
    );
    expect(check(sudoPassword, 'docker').message).toContain('NOPASSWD');
    expect(check(judge(denied, { sudo: true }), 'docker').message).toContain('sudo is not installed');
  });

  it('checks disk and memory against the minimums', () => {
    const r = judge({ dockerDiskFreeKb: String(100 * 1024), memTotalKb: String(256 * 1024) });
    expect(check(r, 'disk')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/only 100 MiB free .* need at least 1.0 GiB/),
    });
    expect(check(r, 'memory')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('at least 512 MiB'),
    });
    expect(preflightFailureMessage(r)).toMatch(/^disk: only 100 MiB.*; memory: 256 MiB/);
  });

  it('measures clock skew against the midpoint of the round trip', () => {
    expect(judge({ timeMs: String(T0 + 50 + 3000) }).facts.clockSkewMs).toBe(3000);
    expect(check(judge({ timeMs: String(T0 + 50 + 10_000) }), 'clock').status).toBe('warn');
    const behind = judge({ timeMs: String(T0 + 50 - 600_000) });
    expect(check(behind, 'clock')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('600.0 s behind this machine'),
    });
    expect(check(judge({ timeMs: '%3N' }), 'clock').status).toBe('warn');
  });

  it('fails when the agent port is taken and chooses a tunnel when the API server is out of reach', () => {
    expect(check(judge({ listening: '0016 280A' }), 'ports')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('10250'),
    });
    const r = judge({ api: 'no' });
    expect(r.facts.reachability).toBe('tunnel');
    expect(check(r, 'api-server').message).toContain('SSH tunnel');
    expect(judge({}, { apiServer: undefined }).facts.reachability).toBe('tunnel');
  });

  it('picks a supervisor where systemd is not PID 1', () => {
    const r = judge({ pid1: 'sleep', systemdRun: undefined });
    expect(r.facts.init).toBe('supervisor');
    expect(check(r, 'init').message).toContain('supervisor script');
  });
});

describe('runPreflight', () => {
  it('sends one script and judges its output, timing it with the injected clock', async () => {
    const sent: string[] = [];
    let t = T0;
    const runner = {
      name: 'root@vm1:22',
      exec: async (command: string): Promise<ExecResult> => {
        sent.push(command);
        const stdout = Object.entries({ ...HEALTHY, timeMs: String(T0 + 500) })
          .map(([k, v]) => `${k}=${v}`)
          .join('\n');
        return { code: 0, stdout, stderr: '' };
      },
    };
    const report = await runPreflight(runner, {
      apiServer: { host: '10.0.0.1', port: 6443 },
      now: () => (t += 500) - 500,
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain('/dev/tcp/10.0.0.1/6443');
    expect(report.ok).toBe(true);
    expect(report.facts.clockSkewMs).toBe(250);
  });

  it('parses key=value lines, keeping = inside values', () => {
    expect(parseFacts('a=1\nb=x=y\n\nnoise')).toEqual(
      new Map([
        ['a', '1'],
        ['b', 'x=y'],
      ]),
    );
  });
});
