// Test hosts for the multi-host suites: reads the summary of `scripts/testbed.sh` and brings hosts
// up when fewer are running. Under CI=true a failure to create them fails the suite; elsewhere the
// suite is skipped with the reason (not root, a tool missing, the script failing).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inCI, which } from './tools';

const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const TESTBED_SCRIPT = join(repoRoot, 'scripts', 'testbed.sh');

export interface TestbedHost {
  name: string;
  index: number;
  ip: string;
  sshPort: number;
  user: string;
  privateKey: string;
  /** SHA256:… as `ssh-keygen -l -E sha256` prints it. */
  hostKeyFingerprint: string;
  hostPublicKey: string;
  /** The host's Docker engine, reachable from the machine (unix socket path). */
  dockerSocket: string;
  netns: string;
  /** The machine-side end of the host's link (`ip link set VETH down` cuts the host off). */
  veth: string;
  dir: string;
  alive?: boolean;
}

export interface Testbed {
  instance: number;
  stateDir: string;
  bridge: string;
  /** The machine's address on the test hosts' bridge. */
  gateway: string;
  subnet: string;
  privateKey: string;
  publicKey: string;
  /** An unprivileged user on every host with a password (not in the docker group). */
  password: { user: string; password: string };
  hosts: TestbedHost[];
}

export interface TestbedForTests {
  testbed?: Testbed;
  skipReason?: string;
}

function stateDirOf(instance: number): string {
  return instance === 0 ? '/var/lib/flotilla-testbed' : `/var/lib/flotilla-testbed-${instance}`;
}

/** Runs `scripts/testbed.sh ARGS` for an instance; resolves with its stdout. */
export async function testbedScript(args: string[], instance = 0, timeoutMs = 180_000): Promise<string> {
  const { stdout } = await run(TESTBED_SCRIPT, args, {
    cwd: repoRoot,
    timeout: timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, FLOTILLA_TESTBED_INSTANCE: String(instance) },
  });
  return stdout;
}

/** The current summary of an instance if its `status` says every host is alive. */
export async function readTestbed(instance = 0): Promise<Testbed | undefined> {
  const summary = join(stateDirOf(instance), 'testbed.json');
  if (!existsSync(summary)) return undefined;
  try {
    return JSON.parse(await testbedScript(['status'], instance, 30_000)) as Testbed;
  } catch {
    return undefined;
  }
}

function whyUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'test hosts need Linux network namespaces';
  if (process.getuid?.() !== 0) return 'test hosts need root (namespaces, links, mounts)';
  const missing = ['ip', 'iptables', 'unshare', 'flock', 'dockerd', 'docker', 'ssh-keygen', 'openssl'].filter(
    (t) => !which(t) && !which(`/usr/sbin/${t}`) && !which(`/sbin/${t}`),
  );
  if (!existsSync('/usr/sbin/sshd')) missing.push('sshd');
  if (missing.length > 0) return `missing ${missing.join(', ')} (scripts/provision-debian.sh installs them)`;
  return undefined;
}

/**
 * At least `count` running test hosts of an instance (instance 0 is the shared one `.ci/run` starts;
 * a suite that takes hosts down uses an instance of its own). Hosts already up are reused.
 */
export async function requireTestbed(count = 2, instance = 0): Promise<TestbedForTests> {
  const reason = whyUnavailable();
  if (reason) {
    if (inCI) throw new Error(`CI=true and ${reason}: the multi-host suites cannot run`);
    return { skipReason: reason };
  }
  const current = await readTestbed(instance);
  if (current && current.hosts.length >= count && current.hosts.every((h) => h.alive !== false)) {
    return { testbed: current };
  }
  try {
    const wanted = Math.max(count, current?.hosts.length ?? 0);
    return { testbed: JSON.parse(await testbedScript(['up', String(wanted)], instance)) as Testbed };
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    if (inCI) throw new Error(`CI=true and scripts/testbed.sh up ${count} failed: ${detail}`, { cause: err });
    return { skipReason: `scripts/testbed.sh up ${count} failed: ${detail}` };
  }
}

/** The test key's PEM text (the private key every host's root and tester accept). */
export function testKey(testbed: Testbed): string {
  return readFileSync(testbed.privateKey, 'utf8');
}
