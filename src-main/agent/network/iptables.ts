// The host's packet filter as the service proxy uses it: iptables-restore of our own chains,
// iptables-save to see which of ours exist, and -C/-I/-D for the few jumps from the built-in chains.
// Also the kernel settings routing needs. Behind an interface so the proxier's logic is testable
// without root; `systemIptables` runs the real binaries.
import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import type { JumpRule } from './rules';

export interface Iptables {
  /** `iptables-restore --noflush` with this input. */
  restore(text: string): Promise<void>;
  save(table: 'nat' | 'filter'): Promise<string>;
  /** Runs `iptables ARGS`; resolves with the exit code (never rejects for a non-zero exit). */
  run(args: string[]): Promise<{ code: number; stderr: string }>;
}

export type IptablesErrorCode = 'IptablesMissing' | 'IptablesFailed';

export class IptablesError extends Error {
  constructor(
    readonly code: IptablesErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'IptablesError';
  }
}

function exec(
  file: string,
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    if (input === undefined) {
      execFile(file, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : -1
          : 0;
        if (err && (err as { code?: unknown }).code === 'ENOENT')
          return reject(new IptablesError('IptablesMissing', `${file} is not installed`));
        resolve({ code, stdout, stderr });
      });
      return;
    }
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT'
          ? new IptablesError('IptablesMissing', `${file} is not installed`)
          : new IptablesError('IptablesFailed', err.message),
      ),
    );
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

export const systemIptables: Iptables = {
  async restore(text) {
    // -w: wait for the xtables lock rather than fail when Docker is changing rules at the same time.
    const r = await exec('iptables-restore', ['-w', '5', '--noflush'], text);
    if (r.code !== 0)
      throw new IptablesError('IptablesFailed', `iptables-restore failed: ${r.stderr.trim()}`);
  },
  async save(table) {
    const r = await exec('iptables-save', ['-t', table]);
    if (r.code !== 0) throw new IptablesError('IptablesFailed', `iptables-save failed: ${r.stderr.trim()}`);
    return r.stdout;
  },
  async run(args) {
    const r = await exec('iptables', ['-w', '5', ...args]);
    return { code: r.code, stderr: r.stderr };
  },
};

/** Adds the jump at the top of its built-in chain unless it is there already. */
export async function ensureJump(ipt: Iptables, jump: JumpRule): Promise<void> {
  const check = await ipt.run(['-t', jump.table, '-C', jump.chain, ...jump.args]);
  if (check.code === 0) return;
  const insert = await ipt.run(['-t', jump.table, '-I', jump.chain, '1', ...jump.args]);
  if (insert.code !== 0)
    throw new IptablesError(
      'IptablesFailed',
      `cannot add jump to ${jump.args.at(-1) ?? ''} in ${jump.table}/${jump.chain}: ${insert.stderr.trim()}`,
    );
}

/** Removes every copy of the jump (a crashed older agent may have left two). */
export async function removeJump(ipt: Iptables, jump: JumpRule): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const r = await ipt.run(['-t', jump.table, '-D', jump.chain, ...jump.args]);
    if (r.code !== 0) return;
  }
}

/** Writes a sysctl under /proc/sys if it is not already the value; false if it cannot be written. */
export async function setSysctl(name: string, value: string): Promise<boolean> {
  const path = `/proc/sys/${name.replace(/\./g, '/')}`;
  try {
    if ((await fs.readFile(path, 'utf8')).trim() === value) return true;
    await fs.writeFile(path, value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Hairpin mode on every port of the pod bridge: a pod that reaches a Service whose chosen endpoint is
 * itself gets the DNATed packet back out of the port it came in on.
 */
export async function enableHairpin(bridgeName: string): Promise<void> {
  const dir = `/sys/class/net/${bridgeName}/brif`;
  let ports: string[];
  try {
    ports = await fs.readdir(dir);
  } catch {
    return; // no bridge (yet)
  }
  await Promise.all(
    ports.map(async (port) => {
      const file = `${dir}/${port}/hairpin_mode`;
      try {
        if ((await fs.readFile(file, 'utf8')).trim() !== '1') await fs.writeFile(file, '1');
      } catch {
        // the port went away meanwhile
      }
    }),
  );
}
