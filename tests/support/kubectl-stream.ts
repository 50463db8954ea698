// A long-running kubectl (`get -w`, `delete --wait`) whose output a test reads while it runs.
import { spawn } from 'node:child_process';

export interface KubectlStream {
  /** Everything printed to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern`; rejects at the deadline. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code once kubectl has exited. */
  exited: Promise<number>;
  /** Whether kubectl is still running. */
  running(): boolean;
  stop(): Promise<number>;
}

export function startKubectl(
  kubectlPath: string,
  kubeconfig: string,
  args: string[],
  env: Record<string, string> = {},
): KubectlStream {
  const child = spawn(kubectlPath, args, {
    env: { ...process.env, KUBECONFIG: kubeconfig, HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let alive = true;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of [...listeners]) l();
  };
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    notify();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => {
      alive = false;
      notify();
      resolve(code ?? (signal ? 128 : -1));
    });
  });
  return {
    stdout: () => out,
    stderr: () => err,
    exited,
    running: () => alive,
    waitForLine(pattern, timeoutMs = 10_000) {
      return new Promise<string>((resolve, reject) => {
        const check = () => {
          const line = out.split('\n').find((l) => pattern.test(l));
          if (line !== undefined) {
            done();
            resolve(line);
          } else if (!alive) {
            done();
            reject(new Error(`kubectl ${args.join(' ')} exited before printing ${pattern}:\n${out}\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `no line matching ${pattern} from kubectl ${args.join(' ')} within ${timeoutMs} ms:\n${out}\n${err}`,
            ),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (alive) child.kill('SIGTERM');
      return exited;
    },
  };
}
