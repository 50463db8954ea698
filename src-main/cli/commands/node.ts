// `flotilla node add docker|ssh` and `flotilla node remove NAME`: create a Machine that the enrollment
// controller of a running `flotilla server` (found through its data dir's kubeconfig) enrolls, and
// take a node out again leaving nothing behind. Steps are printed as they happen; a failure prints the
// reason and exits non-zero.
import type { Command } from 'commander';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { DockerNodeOptions, RemoveDockerNodeOptions } from '../../enrollment/docker';
import type { SshNodeOptions } from '../../enrollment/controller/cli';
import { defaultDataDir, expandHome } from '../../platform/paths';
import { parsePort } from '../options';

export interface NodeDeps {
  addDockerNode(options: DockerNodeOptions): Promise<unknown>;
  removeDockerNode(options: RemoveDockerNodeOptions): Promise<void>;
  addSshNode(options: SshNodeOptions): Promise<unknown>;
  /** false: no SSH Machine of that name (a Docker node then). */
  removeSshNode(
    options: Omit<RemoveDockerNodeOptions, 'progress'> & { progress(l: string): void },
  ): Promise<boolean>;
  readStdin(): string;
  /** Asks on the terminal; undefined when stdin is not one. */
  confirm?: (question: string) => Promise<boolean>;
  stdout(text: string): void;
  stderr(text: string): void;
  exit(code: number): void;
}

const defaultDeps: NodeDeps = {
  // Imported on use: `flotilla --help` should not load dockerode.
  // Both through a Machine (the enrollment controller does the work), as the UI and kubectl do.
  addDockerNode: async (o) => (await import('../../enrollment/controller/docker-cli')).addDockerNode(o),
  removeDockerNode: async (o) => (await import('../../enrollment/controller/docker-cli')).removeDockerNode(o),
  addSshNode: async (o) => (await import('../../enrollment/controller/cli')).addSshNode(o),
  removeSshNode: async (o) => (await import('../../enrollment/controller/cli')).removeSshNode(o),
  readStdin: () => readFileSync(0, 'utf8'),
  ...(process.stdin.isTTY
    ? {
        confirm: async (question: string) => {
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          try {
            return /^y(es)?$/i.test((await rl.question(question)).trim());
          } finally {
            rl.close();
          }
        },
      }
    : {}),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
};

interface CommonOptions {
  dataDir: string;
  kubeconfig?: string;
}

export function registerNodeCommand(program: Command, overrides: Partial<NodeDeps> = {}): Command {
  const deps = { ...defaultDeps, ...overrides };
  const node = program.command('node').description('add and remove the machines of the cluster');
  const dataDirOption = [
    '-d, --data-dir <dir>',
    'data dir of the running `flotilla server` (kubeconfig, cluster CA)',
    defaultDataDir(),
  ] as const;

  const add = node.command('add').description('make a machine a node');
  add
    .command('ssh')
    .description('enroll a machine over SSH: push the agent, start it under a supervisor, wait for Ready')
    .argument('<destination>', 'USER@HOST[:PORT]')
    .option(...dataDirOption)
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: <data-dir>/kubeconfig)')
    .option('--key <file>', 'private key to log in with')
    .option('--password-stdin', 'read the login password from stdin', false)
    .option('--name <name>', 'node name (default: from the host)')
    .option(
      '--accept-host-key <fingerprint>',
      'the host key to accept (SHA256:…, as ssh-keygen -l prints it)',
    )
    .option('--jump <destination>', 'reach the machine through this SSH host (USER@HOST[:PORT], like ssh -J)')
    .option('--accept-jump-host-key <fingerprint>', "the jump host's key to accept (SHA256:…)")
    .option('-y, --yes', 'accept the host keys the machine (and jump host) present without asking', false)
    .addHelpText(
      'after',
      '\nExample:\n  flotilla node add ssh root@10.0.0.5 --key ~/.ssh/id_ed25519 --accept-host-key SHA256:…\n  flotilla node add ssh root@10.1.0.7 --key ~/.ssh/id_ed25519 --jump admin@bastion.example.com',
    )
    .action(
      async (
        destination: string,
        options: CommonOptions & {
          key?: string;
          passwordStdin: boolean;
          name?: string;
          acceptHostKey?: string;
          jump?: string;
          acceptJumpHostKey?: string;
          yes: boolean;
        },
      ) => {
        deps.exit(
          await step(deps, async () => {
            const privateKey = options.key ? readFileSync(resolveDir(options.key), 'utf8') : undefined;
            const password = options.passwordStdin ? deps.readStdin().replace(/\r?\n$/, '') : undefined;
            const confirm = deps.confirm;
            return deps.addSshNode({
              dataDir: resolveDir(options.dataDir),
              destination,
              ...(options.kubeconfig ? { kubeconfig: path.resolve(options.kubeconfig) } : {}),
              ...(privateKey ? { privateKey } : {}),
              ...(password !== undefined ? { password } : {}),
              ...(options.name ? { name: options.name } : {}),
              ...(options.acceptHostKey ? { acceptHostKey: options.acceptHostKey } : {}),
              ...(options.jump ? { jump: options.jump } : {}),
              ...(options.acceptJumpHostKey ? { acceptJumpHostKey: options.acceptJumpHostKey } : {}),
              yes: options.yes,
              ...(confirm && !options.passwordStdin
                ? {
                    confirm: (fp: string, host: string) =>
                      confirm(`The host ${host} presents the key ${fp}. Accept it? [y/N] `),
                  }
                : {}),
              progress: (line) => deps.stdout(`${line}\n`),
            });
          }),
        );
      },
    );

  add
    .command('docker')
    .description(
      'make the local Docker engine a node: creates a Machine of type docker, which the control plane enrolls (its agent runs in a container on that engine)',
    )
    .option(...dataDirOption)
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: <data-dir>/kubeconfig)')
    .option('--name <name>', "node name (default: this machine's host name)")
    .option(
      '--docker-host <url>',
      'the engine: unix:///path/docker.sock or tcp://HOST:PORT (default: DOCKER_HOST or the default socket)',
    )
    .option('--agent-port <number>', 'port of the agent API on the host (default 10250)', parsePort)
    .addHelpText('after', '\nExample:\n  flotilla node add docker --name laptop\n  kubectl get nodes')
    .action(async (options: CommonOptions & { name?: string; dockerHost?: string; agentPort?: number }) => {
      deps.exit(
        await step(deps, () =>
          deps.addDockerNode({
            dataDir: resolveDir(options.dataDir),
            ...(options.kubeconfig ? { kubeconfig: path.resolve(options.kubeconfig) } : {}),
            ...(options.name ? { name: options.name } : {}),
            ...(options.dockerHost ? { dockerHost: options.dockerHost } : {}),
            ...(options.agentPort !== undefined ? { agentPort: options.agentPort } : {}),
            progress: (line) => deps.stdout(`${line}\n`),
          }),
        ),
      );
    });

  node
    .command('remove')
    .description('drain a node, stop its agent, remove what it created, then delete the Node')
    .argument('<name>', 'the node')
    .option(...dataDirOption)
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: <data-dir>/kubeconfig)')
    .action(async (name: string, options: CommonOptions) => {
      deps.exit(
        await step(deps, async () => {
          const common = {
            name,
            dataDir: resolveDir(options.dataDir),
            ...(options.kubeconfig ? { kubeconfig: path.resolve(options.kubeconfig) } : {}),
            progress: (line: string) => deps.stdout(`${line}\n`),
          };
          if (await deps.removeSshNode(common)) return;
          await deps.removeDockerNode(common);
        }),
      );
    });
  return node;
}

function resolveDir(dir: string): string {
  return path.resolve(expandHome(dir));
}

/** Runs a command body: 0 when it succeeds, else prints `flotilla: <reason>` and returns 1. */
export async function step(deps: Pick<NodeDeps, 'stderr'>, body: () => Promise<unknown>): Promise<number> {
  try {
    await body();
    return 0;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const message = err instanceof Error ? err.message : String(err);
    deps.stderr(
      `flotilla: ${message}${typeof code === 'string' && err instanceof Error && err.name === 'EnrollmentError' ? ` [${code}]` : ''}\n`,
    );
    return 1;
  }
}
