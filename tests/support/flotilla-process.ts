// `flotilla server` as a child process, for tests that must kill the control plane the hard way
// (SIGKILL: no clean stop, no flush) and start it again on the same data dir.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface FlotillaProcess {
  pid: number;
  url: string;
  kubeconfigPath: string;
  /** Sends a signal and resolves when the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Runs `node bin/flotilla.js server --data-dir DIR --port P` and resolves once it listens. */
export async function startFlotillaProcess(options: {
  dataDir: string;
  port?: number;
  timeoutMs?: number;
}): Promise<FlotillaProcess> {
  const port = options.port ?? (await freeLoopbackPort());
  const child: ChildProcess = spawn(
    process.execPath,
    [
      'bin/flotilla.js',
      'server',
      '--data-dir',
      options.dataDir,
      '--port',
      String(port),
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`flotilla server did not start in time: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /listening on (\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`flotilla server exited (${code ?? signal}) before listening: ${stderr}`));
    });
  });
  return {
    pid: child.pid!,
    url,
    kubeconfigPath: join(options.dataDir, 'kubeconfig'),
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
