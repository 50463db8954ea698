// Runs the real kubectl against a test control plane.
import { spawn } from 'node:child_process';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectlRunner(kubectlPath: string, kubeconfig: string) {
  return function kubectl(
    args: string[],
    options: { input?: string; timeoutMs?: number } = {},
  ): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(kubectlPath, args, {
        env: {
          ...process.env,
          KUBECONFIG: kubeconfig,
          HOME: process.env.HOME ?? '/tmp',
          KUBECTL_INTERACTIVE_DELETE: 'false',
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.end(options.input ?? '');
    });
  };
}
