// `flotilla server`: runs the control plane headless until SIGTERM or SIGINT. The desktop app runs the
// same startControlPlane in-process; this command is how servers, CI and the tests run it.
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { constants, existsSync } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ControlPlane, ControlPlaneOptions } from '../../control-plane/index';
// The settings module alone (plain data): `flotilla --help` must not load the control plane.
import {
  NODE_LIFECYCLE_PRESETS,
  type NodeLifecyclePreset,
  type NodeLifecycleSettings,
} from '../../control-plane/controllers/nodelifecycle/settings';
import type { Logger, LogLevel } from '../../platform/logger';
import { createLogger, isLogLevel } from '../../platform/logger';
import { defaultDataDir, expandHome } from '../../platform/paths';
import { CliError } from '../errors';
import { parseHost, parseLogLevel, parsePort, parseSeconds, parseStoreUrl } from '../options';

export interface ServerCommandOptions {
  dataDir: string;
  port: number;
  host: string;
  store?: string;
  ui: boolean;
  disable: Component[];
  logLevel: LogLevel;
  nodeTimings: NodeLifecyclePreset;
  nodeMonitorGracePeriod?: number;
  defaultTolerationSeconds?: number;
}

const COMPONENTS = ['scheduler', 'controllers'] as const;
type Component = (typeof COMPONENTS)[number];

function parseComponents(value: string): Component[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!(COMPONENTS as readonly string[]).includes(n)) {
      throw new InvalidArgumentError(`Expected a comma-separated list of: ${COMPONENTS.join(', ')}.`);
    }
  }
  return names as Component[];
}

/** The node lifecycle settings the options ask for: a preset, with single timings overridden. */
export function nodeLifecycleSettings(
  options: Pick<ServerCommandOptions, 'nodeTimings' | 'nodeMonitorGracePeriod' | 'defaultTolerationSeconds'>,
): NodeLifecycleSettings {
  return {
    ...NODE_LIFECYCLE_PRESETS[options.nodeTimings],
    ...(options.nodeMonitorGracePeriod !== undefined
      ? { nodeMonitorGracePeriodSeconds: options.nodeMonitorGracePeriod }
      : {}),
    ...(options.defaultTolerationSeconds !== undefined
      ? { defaultTolerationSeconds: options.defaultTolerationSeconds }
      : {}),
  };
}

type Signal = 'SIGTERM' | 'SIGINT';

/** What the command touches outside itself, injectable so its signal handling can be tested in-process. */
export interface ServerDeps {
  startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane>;
  createLog(level: LogLevel): Logger;
  stdout(text: string): void;
  signals: {
    on(signal: Signal, listener: (signal: Signal) => void): unknown;
    off(signal: Signal, listener: (signal: Signal) => void): unknown;
  };
  exit(code: number): void;
  /** Where the built web UI is (for --ui). */
  uiDistDir(): string;
  /** Keeps the agents of this data dir's Docker nodes running (they are containers on this machine). */
  startNodeWatchdog(dataDir: string, log: Logger): Promise<{ stop(): void }>;
  /** Enrolls and removes SSH Machines (an API client of the control plane at `url`). */
  startEnrollmentController?(dataDir: string, url: string, log: Logger): Promise<{ stop(): Promise<void> }>;
  /** Listening on all interfaces: make the serving certificate name this machine's addresses. */
  prepareServingNames?(dataDir: string, host: string, log: Logger): Promise<void>;
}

const defaultDeps: ServerDeps = {
  // Imported on use: `flotilla --help` should not load the whole control plane.
  startControlPlane: async (options) =>
    (await import('../../control-plane/index')).startControlPlane(options),
  createLog: (level) => createLogger({ level }),
  stdout: (text) => process.stdout.write(text),
  signals: process,
  exit: (code) => process.exit(code),
  uiDistDir: () => builtUiDir(),
  startNodeWatchdog: async (dataDir, log) =>
    (await import('../../enrollment/docker/watchdog')).startDockerNodeWatchdog({
      dataDir,
      log: (line) => log.warn(line),
    }),
  startEnrollmentController: async (dataDir, url, log) =>
    (await import('../../enrollment/controller')).startForServer(dataDir, url, {
      info: (m) => log.info(m),
      warn: (m) => log.warn(m),
    }),
  prepareServingNames: async (dataDir, host, log) => {
    if (host !== '0.0.0.0' && host !== '::') return;
    const { ensurePki } = await import('../../control-plane/apiserver/pki');
    const { hostIPs } = await import('../../enrollment/docker/node-files');
    await ensurePki(dataDir, { hosts: hostIPs(), log: log.child('pki') });
  },
};

export const DEFAULT_PORT = 6443;
export const DEFAULT_HOST = '127.0.0.1';
const SIGNALS: Signal[] = ['SIGTERM', 'SIGINT'];
const SIGNAL_EXIT: Record<Signal, number> = { SIGINT: 130, SIGTERM: 143 };

export function registerServerCommand(program: Command, overrides: Partial<ServerDeps> = {}): Command {
  const deps = { ...defaultDeps, ...overrides };
  const envLevel = process.env.FLOTILLA_LOG_LEVEL;
  return program
    .command('server')
    .description('run the control plane headless (API server, store, controllers) until SIGTERM or Ctrl+C')
    .option('-d, --data-dir <dir>', 'where the cluster state, PKI and kubeconfig live', defaultDataDir())
    .option(
      '-p, --port <number>',
      'HTTPS port of the API server (0 picks a free one)',
      parsePort,
      DEFAULT_PORT,
    )
    .option('--host <address>', 'address to listen on (0.0.0.0 for all interfaces)', parseHost, DEFAULT_HOST)
    .option('--store <url>', 'state store URL (default: sqlite://<data-dir>/state.db)', parseStoreUrl)
    .option('--ui', 'also serve the web UI to a browser', false)
    .option(
      '--disable <components>',
      'leave out parts of the control plane: scheduler, controllers',
      parseComponents,
      [],
    )
    .addOption(
      new Option(
        '--node-timings <preset>',
        'node failure timings: desktop (NotReady after 20 s, pods moved 30 s later) or kubernetes (40 s, 300 s)',
      )
        .choices(Object.keys(NODE_LIFECYCLE_PRESETS))
        .default('desktop'),
    )
    .option(
      '--node-monitor-grace-period <seconds>',
      'seconds without a heartbeat before a node is NotReady (overrides the preset)',
      parseSeconds,
    )
    .option(
      '--default-toleration-seconds <seconds>',
      'seconds pods stay on a NotReady or unreachable node before they are moved (overrides the preset)',
      parseSeconds,
    )
    .addOption(
      new Option('--log-level <level>', 'debug, info, warn or error (env FLOTILLA_LOG_LEVEL)')
        .argParser(parseLogLevel)
        .default(envLevel && isLogLevel(envLevel) ? envLevel : 'info'),
    )
    .addHelpText(
      'after',
      `\nExamples:\n  flotilla server --data-dir ~/.flotilla\n  export KUBECONFIG=~/.flotilla/kubeconfig && kubectl get namespaces`,
    )
    .action(async (options: ServerCommandOptions) => {
      deps.exit(await runServer(options, deps));
    });
}

/** Runs until a signal; resolves with the exit code (0 after a clean stop). Start-up problems throw CliError. */
export async function runServer(options: ServerCommandOptions, deps: ServerDeps): Promise<number> {
  const log = deps.createLog(options.logLevel);
  const dataDir = path.resolve(expandHome(options.dataDir));
  await prepareDataDir(dataDir);
  const storeUrl = options.store ?? `sqlite://${path.join(dataDir, 'state.db')}`;
  let uiDistDir: string | undefined;
  if (options.ui) {
    uiDistDir = deps.uiDistDir();
    if (!existsSync(path.join(uiDistDir, 'index.html'))) {
      throw new CliError(
        'UiNotBuilt',
        `--ui: the web UI is not built (no ${uiDistDir}); run \`npm run build:ui\` first`,
        1,
      );
    }
  }

  // Listen before starting, so a signal during start-up still leads to a clean stop.
  let stopping = false;
  let onSignal!: (signal: Signal) => void;
  const signalled = new Promise<Signal>((resolve) => {
    onSignal = (signal) => {
      if (stopping) {
        log.warn(`received ${signal} again: exiting without waiting for a clean stop`);
        deps.exit(SIGNAL_EXIT[signal]);
        return;
      }
      stopping = true;
      resolve(signal);
    };
  });
  for (const s of SIGNALS) deps.signals.on(s, onSignal);

  try {
    await deps.prepareServingNames?.(dataDir, options.host, log);
    const starting = deps.startControlPlane({
      dataDir,
      host: options.host,
      port: options.port,
      storeUrl,
      log,
      ...(uiDistDir ? { uiDistDir } : {}),
      ...(options.disable.length > 0 ? { disable: options.disable } : {}),
      controllers: { nodeLifecycle: nodeLifecycleSettings(options) },
    });
    const first = await Promise.race([
      starting.then(
        (cp) => ({ cp }),
        (err: unknown) => ({ err }),
      ),
      signalled.then((signal) => ({ signal })),
    ]);
    if ('err' in first) throw describeStartError(first.err, options);

    let cp: ControlPlane;
    if ('signal' in first) {
      log.info(`received ${first.signal} while starting: stopping once started`);
      try {
        cp = await starting;
      } catch {
        return 0; // it never came up, so there is nothing to stop
      }
      return await stop(cp, log);
    }
    cp = first.cp;
    const watchdog = await deps.startNodeWatchdog(dataDir, log.child('nodes'));
    const enrollment = await deps.startEnrollmentController?.(dataDir, cp.url, log.child('enrollment'));
    deps.stdout(readyMessage(cp));
    const signal = await signalled;
    log.info(`received ${signal}: stopping`);
    watchdog.stop();
    await enrollment?.stop();
    return await stop(cp, log);
  } finally {
    // Kept until here so that a second signal during stop() still forces the exit.
    for (const s of SIGNALS) deps.signals.off(s, onSignal);
  }
}

async function stop(cp: ControlPlane, log: Logger): Promise<number> {
  try {
    await cp.stop();
    log.info('stopped');
    return 0;
  } catch (err) {
    log.error('stopping failed', { error: err instanceof Error ? err.message : String(err) });
    return 1;
  }
}

export function readyMessage(cp: Pick<ControlPlane, 'url' | 'kubeconfigPath' | 'loginUrl'>): string {
  return [
    `Flotilla control plane listening on ${cp.url}`,
    ...(cp.loginUrl
      ? ['', "Open the web UI (a one-time login link; the CA is the cluster's own):", `  ${cp.loginUrl()}`]
      : []),
    `Admin kubeconfig: ${cp.kubeconfigPath}`,
    '',
    'Use it with kubectl:',
    `  export KUBECONFIG=${shellQuote(cp.kubeconfigPath)}`,
    '  kubectl get namespaces',
    '',
    'Stop with Ctrl+C or SIGTERM.',
    '',
  ].join('\n');
}

/** Where `npm run build:ui` puts the renderer: out/renderer at the package root. */
export function builtUiDir(): string {
  return fileURLToPath(new URL('../../../out/renderer', import.meta.url));
}

/** Creates the data dir if needed (0700: it holds the CA key) and checks it is a usable folder. */
export async function prepareDataDir(dir: string): Promise<void> {
  const fail = (why: string, cause?: unknown) =>
    new CliError('DataDirUnusable', `cannot use data dir ${dir}: ${why}`, 1, { cause });
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fail(errnoText(err), err);
  }
  try {
    if (!(await stat(dir)).isDirectory()) throw fail('it is not a directory');
    await access(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw fail(errnoText(err), err);
  }
}

/** Turns the control plane's start-up failure into a message that says what to do. */
export function describeStartError(
  err: unknown,
  options: Pick<ServerCommandOptions, 'host' | 'port'>,
): CliError {
  const code = errnoCode(err);
  const where = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new CliError(
        'AddressInUse',
        `port ${options.port} on ${options.host} is already in use (another flotilla server?); choose another with --port`,
        1,
        { cause: err },
      );
    case 'EACCES':
      return new CliError(
        'ListenFailed',
        `not permitted to listen on ${where} (ports below 1024 need privileges)`,
        1,
        {
          cause: err,
        },
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new CliError(
        'ListenFailed',
        `cannot listen on ${where}: ${options.host} is not an address of this machine`,
        1,
        {
          cause: err,
        },
      );
    default:
      return new CliError(
        'StartFailed',
        `the control plane failed to start: ${err instanceof Error ? err.message : String(err)}`,
        1,
        { cause: err },
      );
  }
}

function errnoCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

function errnoText(err: unknown): string {
  const code = errnoCode(err);
  const text: Record<string, string> = {
    ENOTDIR: 'a parent of it is a file, not a directory',
    EEXIST: 'it exists and is not a directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'the file system is read-only',
    ENOSPC: 'no space left on the device',
  };
  return (code && text[code]) ?? (err instanceof Error ? err.message : String(err));
}

function shellQuote(s: string): string {
  return /^[\w./~:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
