import { Command } from 'commander';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SshNodeOptions } from '../../enrollment/controller/cli';
import { registerNodeCommand, type NodeDeps } from './node';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-node-cli-'));
  await writeFile(join(dir, 'id'), 'KEY TEXT');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function harness(overrides: Partial<NodeDeps> = {}) {
  const calls: { what: string; options: unknown }[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const exits: number[] = [];
  const program = new Command().exitOverride();
  registerNodeCommand(program, {
    addDockerNode: async (o) => calls.push({ what: 'addDocker', options: o }),
    removeDockerNode: async (o) => void calls.push({ what: 'removeDocker', options: o }),
    addSshNode: async (o) => calls.push({ what: 'addSsh', options: o }),
    removeSshNode: async (o) => {
      calls.push({ what: 'removeSsh', options: o });
      return o.name === 'sshnode';
    },
    readStdin: () => 'secret\n',
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    exit: (c) => exits.push(c),
    ...overrides,
  });
  const run = (args: string[]) => program.parseAsync(['node', 'flotilla', ...args]);
  return { calls, out, err, exits, run };
}

describe('flotilla node', () => {
  it('add ssh passes the destination, the key text, the name and the accepted key', async () => {
    const h = harness();
    await h.run([
      'node',
      'add',
      'ssh',
      'root@10.0.0.5:2222',
      '--key',
      join(dir, 'id'),
      '--name',
      'vm',
      '--accept-host-key',
      'SHA256:x',
      '-d',
      dir,
    ]);
    expect(h.exits).toEqual([0]);
    const o = h.calls[0]!.options as SshNodeOptions;
    expect(h.calls[0]!.what).toBe('addSsh');
    expect(o).toMatchObject({
      destination: 'root@10.0.0.5:2222',
      privateKey: 'KEY TEXT',
      name: 'vm',
      acceptHostKey: 'SHA256:x',
      yes: false,
      dataDir: dir,
    });
  });

  it('add ssh --password-stdin reads the password without its newline', async () => {
    const h = harness();
    await h.run(['node', 'add', 'ssh', 'tester@h', '--password-stdin', '--yes', '-d', dir]);
    expect(h.calls[0]!.options).toMatchObject({ password: 'secret', yes: true });
  });

  it('a failure prints the reason with its code and exits 1', async () => {
    const h = harness({
      addSshNode: async () => {
        throw Object.assign(new Error('enrolling vm failed: connect: authentication failed'), {
          name: 'EnrollmentError',
          code: 'EnrollmentFailed',
        });
      },
    });
    await h.run(['node', 'add', 'ssh', 'root@h', '--key', join(dir, 'id'), '-d', dir]);
    expect(h.exits).toEqual([1]);
    expect(h.err.join('')).toBe(
      'flotilla: enrolling vm failed: connect: authentication failed [EnrollmentFailed]\n',
    );
  });

  it('remove takes an SSH machine out through its Machine, and anything else as a Docker node', async () => {
    const h = harness();
    await h.run(['node', 'remove', 'sshnode', '-d', dir]);
    await h.run(['node', 'remove', 'dockernode', '-d', dir]);
    expect(h.calls.map((c) => c.what)).toEqual(['removeSsh', 'removeSsh', 'removeDocker']);
    expect(h.exits).toEqual([0, 0]);
  });
});
