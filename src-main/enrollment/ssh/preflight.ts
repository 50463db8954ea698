// Preflight: can this machine run the agent? One round trip gathers the facts (a shell script that
// prints key=value lines), and a pure function judges them, so every message can say what to do.
//
// Checks: os, arch, docker (installed, daemon up, usable by the user or through sudo), disk, memory,
// clock (skew against this machine), ports (the agent's port free), api-server (reachable directly,
// else the agent goes through an SSH tunnel), init (systemd service or a supervisor script).
import { AGENT_PORT } from '../../shared/agent-api';
import type { ExecOptions, ExecResult } from './connection';
import { shellQuote } from './shell';

/** What preflight needs of a connection (SshConnection has it; so will other transports). */
export interface CommandRunner {
  readonly name?: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
}

export type CheckStatus = 'ok' | 'warn' | 'fail';

export type CheckName =
  'os' | 'arch' | 'docker' | 'disk' | 'memory' | 'clock' | 'ports' | 'api-server' | 'init';

export interface PreflightCheck {
  name: CheckName;
  status: CheckStatus;
  /** One line a person can act on. */
  message: string;
}

export interface PreflightFacts {
  os: string;
  /** uname -m */
  arch: string;
  /** The agent artifact's architecture: x64 / arm64 (undefined when unsupported). */
  agentArch?: 'x64' | 'arm64';
  kernel: string;
  osImage: string;
  hostname: string;
  user: string;
  uid: number;
  /** How the agent can reach Docker: as the user, through sudo, or not at all. */
  dockerAccess: 'user' | 'sudo' | 'none';
  dockerVersion?: string;
  diskFreeBytes?: number;
  memTotalBytes?: number;
  memAvailableBytes?: number;
  /** Machine clock minus this machine's clock (ms). */
  clockSkewMs?: number;
  /** systemd runs as PID 1: install a systemd service; otherwise a supervisor script. */
  init: 'systemd' | 'supervisor';
  /** How the agent will reach the API server. */
  reachability: 'direct' | 'tunnel';
  listeningPorts: number[];
}

export interface PreflightReport {
  ok: boolean;
  checks: PreflightCheck[];
  facts: PreflightFacts;
}

export interface PreflightOptions {
  /** sudo may be used (the Machine's spec.ssh.sudo). */
  sudo?: boolean;
  /** The API server's address as the agent would use it directly. */
  apiServer?: { host: string; port: number };
  agentPort?: number;
  /** Where the agent is installed (disk is checked on its file system). Default /opt/flotilla. */
  installDir?: string;
  minDiskBytes?: number;
  minMemoryBytes?: number;
  /** Skew above this is a warning... */
  warnClockSkewMs?: number;
  /** ...and above this a failure (certificates and tokens would look not-yet-valid or expired). */
  maxClockSkewMs?: number;
  /** PATH for the checks on the machine (default: the login's PATH plus the sbin folders). */
  path?: string;
  /** This machine's clock (ms since the epoch). */
  now?: () => number;
  timeoutMs?: number;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export const PREFLIGHT_DEFAULTS = {
  installDir: '/opt/flotilla',
  minDiskBytes: 1 * GiB,
  minMemoryBytes: 512 * MiB,
  warnClockSkewMs: 5_000,
  maxClockSkewMs: 120_000,
};

/** The fact-gathering script: POSIX sh, nothing but coreutils-level tools, every probe optional. */
export function preflightScript(options: PreflightOptions): string {
  const installDir = options.installDir ?? PREFLIGHT_DEFAULTS.installDir;
  const lines = [
    options.path
      ? `PATH=${shellQuote(options.path)}; export PATH`
      : 'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; export PATH',
    'echo "os=$(uname -s)"',
    'echo "arch=$(uname -m)"',
    'echo "kernel=$(uname -r)"',
    'echo "hostname=$(uname -n)"',
    'echo "user=$(id -un)"',
    'echo "uid=$(id -u)"',
    '[ -r /etc/os-release ] && echo "osImage=$(. /etc/os-release; echo "$PRETTY_NAME")"',
    'echo "pid1=$(cat /proc/1/comm 2>/dev/null)"',
    '[ -d /run/systemd/system ] && echo systemdRun=yes',
    // Docker: as the user first, then through sudo when allowed.
    'if command -v docker >/dev/null 2>&1; then echo dockerPath=$(command -v docker);',
    '  out=$(docker info --format "{{.ServerVersion}}" 2>&1); rc=$?;',
    '  echo "dockerUserRc=$rc"; echo "dockerUserOut=$(printf %s "$out" | tr "\\n" " " | cut -c1-300)";',
    options.sudo
      ? '  if [ "$rc" != 0 ] && command -v sudo >/dev/null 2>&1; then out=$(sudo -n docker info --format "{{.ServerVersion}}" 2>&1); echo "dockerSudoRc=$?"; echo "dockerSudoOut=$(printf %s "$out" | tr "\\n" " " | cut -c1-300)"; fi;'
      : '  :;',
    'fi',
    'command -v sudo >/dev/null 2>&1 && echo sudoPath=$(command -v sudo)',
    // Disk: the nearest existing folder of the install location.
    `d=${shellQuote(installDir)}; while [ ! -d "$d" ]; do d=$(dirname "$d"); done;`,
    'echo "diskFreeKb=$(df -Pk "$d" 2>/dev/null | awk \'NR==2 {print $4}\')"',
    '[ -d /var/lib/docker ] && echo "dockerDiskFreeKb=$(df -Pk /var/lib/docker 2>/dev/null | awk \'NR==2 {print $4}\')"',
    'awk \'/^MemTotal:/ {print "memTotalKb=" $2} /^MemAvailable:/ {print "memAvailableKb=" $2}\' /proc/meminfo 2>/dev/null',
    'echo "listening=$(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk \'$4 == "0A" {split($2, a, ":"); print a[2]}\' | sort -u | tr "\\n" " ")"',
  ];
  if (options.apiServer) {
    const { host, port } = options.apiServer;
    const h = shellQuote(host);
    lines.push(
      'api=no;',
      `if command -v bash >/dev/null 2>&1; then timeout 3 bash -c "exec 3<>/dev/tcp/${host.replace(/[^A-Za-z0-9.:-]/g, '')}/${Number(port)}" >/dev/null 2>&1 && api=yes;`,
      `elif command -v nc >/dev/null 2>&1; then nc -z -w 3 ${h} ${Number(port)} >/dev/null 2>&1 && api=yes; else api=unknown; fi`,
      'echo "api=$api"',
    );
  }
  // Last, so the time is taken as late as possible before the reply travels back.
  lines.push('echo "timeMs=$(date +%s%3N 2>/dev/null)"');
  return lines.join('\n');
}

export function parseFacts(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return out;
}

const intOf = (v: string | undefined): number | undefined => {
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
};

function bytes(n: number): string {
  if (n >= GiB) return `${(n / GiB).toFixed(1)} GiB`;
  return `${Math.round(n / MiB)} MiB`;
}

/**
 * Judges gathered facts. `sentAt`/`receivedAt` bracket the command (this machine's clock); the remote
 * time is compared with their midpoint.
 */
export function evaluatePreflight(
  raw: Map<string, string>,
  options: PreflightOptions,
  timing: { sentAt: number; receivedAt: number },
  where = 'the machine',
): PreflightReport {
  const o = { ...PREFLIGHT_DEFAULTS, ...options };
  const checks: PreflightCheck[] = [];
  const add = (name: CheckName, status: CheckStatus, message: string) =>
    checks.push({ name, status, message });

  const os = raw.get('os') ?? '';
  const arch = raw.get('arch') ?? '';
  const user = raw.get('user') ?? '';
  if (os === 'Linux')
    add('os', 'ok', `Linux ${raw.get('kernel') ?? ''} (${raw.get('osImage') ?? 'unknown distribution'})`);
  else add('os', 'fail', `${where} runs ${os || 'an unknown OS'}; the agent needs Linux`);

  const agentArch =
    arch === 'x86_64' || arch === 'amd64'
      ? 'x64'
      : arch === 'aarch64' || arch === 'arm64'
        ? 'arm64'
        : undefined;
  if (agentArch) add('arch', 'ok', `${arch} (agent build linux-${agentArch})`);
  else
    add(
      'arch',
      'fail',
      `unsupported architecture ${arch || 'unknown'}: the agent is built for x86_64 and aarch64`,
    );

  // Docker.
  let dockerAccess: PreflightFacts['dockerAccess'] = 'none';
  let dockerVersion: string | undefined;
  const userRc = raw.get('dockerUserRc');
  const userOut = raw.get('dockerUserOut') ?? '';
  const sudoRc = raw.get('dockerSudoRc');
  const sudoOut = raw.get('dockerSudoOut') ?? '';
  if (!raw.get('dockerPath')) {
    add(
      'docker',
      'fail',
      `Docker is not installed on ${where} (no \`docker\` command on the PATH): install Docker Engine ` +
        '(e.g. `apt-get install docker.io`, or https://docs.docker.com/engine/install/) and try again',
    );
  } else if (userRc === '0') {
    dockerAccess = 'user';
    dockerVersion = userOut.trim();
    add('docker', 'ok', `Docker ${dockerVersion} usable by ${user}`);
  } else if (sudoRc === '0') {
    dockerAccess = 'sudo';
    dockerVersion = sudoOut.trim();
    add('docker', 'ok', `Docker ${dockerVersion} usable through sudo (${user} cannot use it directly)`);
  } else {
    const permission = /permission denied/i.test(userOut);
    const daemonDown = /cannot connect|is the docker daemon running|no such file/i.test(
      `${userOut} ${sudoOut}`,
    );
    if (permission && !options.sudo) {
      add(
        'docker',
        'fail',
        `${user} cannot use Docker (permission denied on its socket): add the user to the docker group ` +
          `(\`sudo usermod -aG docker ${user}\`) or enable sudo for this machine`,
      );
    } else if (permission && options.sudo) {
      const why = !raw.get('sudoPath')
        ? 'sudo is not installed'
        : /password/i.test(sudoOut)
          ? 'sudo asks for a password (allow NOPASSWD for this user)'
          : sudoOut.trim() || 'sudo failed';
      add('docker', 'fail', `${user} cannot use Docker directly and not through sudo either: ${why}`);
    } else if (daemonDown) {
      add(
        'docker',
        'fail',
        `Docker is installed but its daemon does not answer (${userOut.trim()}): start it ` +
          '(`sudo systemctl start docker`) and try again',
      );
    } else {
      add('docker', 'fail', `\`docker info\` failed: ${userOut.trim() || sudoOut.trim() || 'no output'}`);
    }
  }

  // Disk and memory.
  const diskKb = intOf(raw.get('diskFreeKb'));
  const dockerDiskKb = intOf(raw.get('dockerDiskFreeKb'));
  const freeKb = [diskKb, dockerDiskKb].filter((v): v is number => v !== undefined);
  const diskFreeBytes = freeKb.length > 0 ? Math.min(...freeKb) * 1024 : undefined;
  if (diskFreeBytes === undefined) add('disk', 'warn', 'could not read free disk space (`df` failed)');
  else if (diskFreeBytes < o.minDiskBytes)
    add(
      'disk',
      'fail',
      `only ${bytes(diskFreeBytes)} free for ${o.installDir} and Docker; need at least ${bytes(o.minDiskBytes)}: free some space`,
    );
  else add('disk', 'ok', `${bytes(diskFreeBytes)} free`);

  const memTotalKb = intOf(raw.get('memTotalKb'));
  const memAvailKb = intOf(raw.get('memAvailableKb'));
  const memTotalBytes = memTotalKb === undefined ? undefined : memTotalKb * 1024;
  const memAvailableBytes = memAvailKb === undefined ? undefined : memAvailKb * 1024;
  if (memTotalBytes === undefined) add('memory', 'warn', 'could not read /proc/meminfo');
  else if (memTotalBytes < o.minMemoryBytes)
    add(
      'memory',
      'fail',
      `${bytes(memTotalBytes)} of memory; the agent and pods need at least ${bytes(o.minMemoryBytes)}`,
    );
  else
    add(
      'memory',
      'ok',
      `${bytes(memTotalBytes)} total, ${memAvailableBytes === undefined ? '?' : bytes(memAvailableBytes)} available`,
    );

  // Clock.
  const remoteMs = intOf(raw.get('timeMs'));
  let clockSkewMs: number | undefined;
  if (remoteMs === undefined || remoteMs < 1e12) {
    add('clock', 'warn', "could not read the machine's clock with millisecond precision (`date +%s%3N`)");
  } else {
    clockSkewMs = remoteMs - (timing.sentAt + timing.receivedAt) / 2;
    const abs = Math.abs(clockSkewMs);
    const text = `${(clockSkewMs / 1000).toFixed(1)} s ${clockSkewMs >= 0 ? 'ahead of' : 'behind'} this machine`;
    if (abs > o.maxClockSkewMs)
      add('clock', 'fail', `the clock is ${text}: enable time sync (NTP, e.g. \`timedatectl set-ntp true\`)`);
    else if (abs > o.warnClockSkewMs) add('clock', 'warn', `the clock is ${text}; enable time sync (NTP)`);
    else add('clock', 'ok', `in sync (skew ${Math.round(clockSkewMs)} ms)`);
  }

  // Ports.
  const agentPort = o.agentPort ?? AGENT_PORT;
  const listeningPorts = (raw.get('listening') ?? '')
    .split(/\s+/)
    .filter((h) => /^[0-9A-Fa-f]{4}$/.test(h))
    .map((h) => parseInt(h, 16));
  if (listeningPorts.includes(agentPort))
    add(
      'ports',
      'fail',
      `port ${agentPort} (the agent's API) is already in use: stop what listens there (a kubelet?) or choose another port`,
    );
  else add('ports', 'ok', `port ${agentPort} is free`);

  // API server.
  let reachability: PreflightFacts['reachability'] = 'tunnel';
  if (options.apiServer) {
    const addr = `${options.apiServer.host}:${options.apiServer.port}`;
    const api = raw.get('api');
    if (api === 'yes') {
      reachability = 'direct';
      add('api-server', 'ok', `reaches the API server at ${addr} directly`);
    } else if (api === 'unknown') {
      add('api-server', 'ok', `cannot test ${addr} (neither bash nor nc): the agent will use an SSH tunnel`);
    } else {
      add('api-server', 'ok', `cannot reach the API server at ${addr}: the agent will use an SSH tunnel`);
    }
  } else {
    add('api-server', 'ok', 'no direct API server address to test: the agent will use an SSH tunnel');
  }

  // Init system.
  const systemd = raw.get('pid1') === 'systemd' || raw.get('systemdRun') === 'yes';
  add(
    'init',
    'ok',
    systemd
      ? 'systemd is running: the agent is installed as a systemd service'
      : `no systemd (PID 1 is ${raw.get('pid1') || 'unknown'}): the agent runs under a supervisor script`,
  );

  return {
    ok: checks.every((c) => c.status !== 'fail'),
    checks,
    facts: {
      os,
      arch,
      ...(agentArch ? { agentArch } : {}),
      kernel: raw.get('kernel') ?? '',
      osImage: raw.get('osImage') ?? '',
      hostname: raw.get('hostname') ?? '',
      user,
      uid: intOf(raw.get('uid')) ?? -1,
      dockerAccess,
      ...(dockerVersion ? { dockerVersion } : {}),
      ...(diskFreeBytes !== undefined ? { diskFreeBytes } : {}),
      ...(memTotalBytes !== undefined ? { memTotalBytes } : {}),
      ...(memAvailableBytes !== undefined ? { memAvailableBytes } : {}),
      ...(clockSkewMs !== undefined ? { clockSkewMs } : {}),
      init: systemd ? 'systemd' : 'supervisor',
      reachability,
      listeningPorts,
    },
  };
}

/** Runs the checks over a connection (one command) and judges them. */
export async function runPreflight(
  runner: CommandRunner,
  options: PreflightOptions = {},
): Promise<PreflightReport> {
  const now = options.now ?? Date.now;
  const sentAt = now();
  // The script itself runs as the user: sudo is used only inside it, for the Docker check.
  const result = await runner.exec(preflightScript(options), {
    sudo: false,
    timeoutMs: options.timeoutMs ?? 30_000,
  });
  const receivedAt = now();
  return evaluatePreflight(
    parseFacts(result.stdout),
    options,
    { sentAt, receivedAt },
    runner.name ?? 'the machine',
  );
}

/** The failed checks as one message (for a Machine's status and the CLI). */
export function preflightFailureMessage(report: PreflightReport): string {
  return report.checks
    .filter((c) => c.status === 'fail')
    .map((c) => `${c.name}: ${c.message}`)
    .join('; ');
}
