import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  removeFilesCommand,
  startSupervisorCommand,
  stopAgentCommand,
  supervisorPath,
  supervisorRunningCommand,
  supervisorScript,
  type RemoteLayout,
} from './remote';

const sh = promisify(execFile);
const run = async (command: string) => (await sh('sh', ['-c', command], { timeout: 20_000 })).stdout;

// The supervisor for real, in a scratch layout whose "agent" is a shell script that sleeps.
async function scratch(): Promise<{ dir: string; layout: RemoteLayout }> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-supervisor-'));
  const layout: RemoteLayout = {
    baseDir: join(dir, 'opt'),
    stateDir: join(dir, 'state'),
    logDir: join(dir, 'log'),
    configDir: join(dir, 'etc'),
    supervisorPidFile: join(dir, 'supervisor.pid'),
    agentPidFile: join(dir, 'agent.pid'),
    node: join(dir, 'opt', 'node'), // inside the layout, so removing the layout removes it too
  };
  await mkdir(join(layout.baseDir, 'current'), { recursive: true });
  // "node": skips the Node.js options the launcher passes, then runs the script as sh.
  await writeFile(layout.node, '#!/bin/sh\nwhile [ "${1#--}" != "$1" ]; do shift; done\nexec sh "$@"\n', {
    mode: 0o755,
  });
  await writeFile(join(layout.baseDir, 'current', 'agent.mjs'), 'echo started; exec sleep 600\n');
  await writeFile(supervisorPath(layout), supervisorScript(layout));
  return { dir, layout };
}

async function until(probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the agent supervisor', () => {
  it('starts detached, restarts a killed agent, and stops with everything it ran', async () => {
    const { dir, layout } = await scratch();
    try {
      expect((await run(supervisorRunningCommand(layout))).trim()).toBe('stopped');
      await run(startSupervisorCommand(layout)); // returns: nothing holds the caller's output
      await until(async () => (await run(supervisorRunningCommand(layout))).trim() === 'running');
      const readPid = async (f: string) => Number((await run(`cat ${f} 2>/dev/null || echo 0`)).trim());
      await until(async () => (await readPid(layout.agentPidFile)) > 0);
      const first = await readPid(layout.agentPidFile);
      process.kill(first, 'SIGKILL');
      await until(async () => {
        const p = await readPid(layout.agentPidFile);
        return p > 0 && p !== first && alive(p);
      });
      const second = await readPid(layout.agentPidFile);
      const supervisor = await readPid(layout.supervisorPidFile);
      await run(stopAgentCommand(layout));
      expect(alive(second)).toBe(false);
      expect(alive(supervisor)).toBe(false);
      expect((await run(supervisorRunningCommand(layout))).trim()).toBe('stopped');
      expect((await run(`cat ${join(layout.logDir, 'agent.log')}`)).match(/started/g)).toHaveLength(2);
    } finally {
      await run(stopAgentCommand(layout)).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('removes every folder of the layout', async () => {
    const { dir, layout } = await scratch();
    try {
      await mkdir(layout.stateDir, { recursive: true });
      await writeFile(join(layout.stateDir, 'x'), '');
      await mkdir(layout.configDir);
      await run(removeFilesCommand(layout));
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
