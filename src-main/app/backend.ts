// What the window shows: the control plane started inside the app (the default), or a remote
// Flotilla reached through a kubeconfig the person chose (through the loopback gateway). Either way
// the result is the same handle: a URL to open, an admin client for the tray's watch, and stop().
// Plain Node, so the test double of Electron is the only fake the bundle test needs.
import { chmod, copyFile } from 'node:fs/promises';
import { startControlPlane } from '../control-plane/index';
import { ensureAgentBundle } from '../enrollment/docker/agent-bundle';
import { startDockerNodeWatchdog } from '../enrollment/docker/watchdog';
import { startEnrollmentController } from '../enrollment/controller/controller';
import type { EnrollmentController } from '../enrollment/controller/controller';
import type { ControlPlane, ControlPlaneOptions } from '../control-plane/index';
import { kubeApiFromKubeconfig, loadKubeconfig } from '../control-plane/client/kubeconfig';
import type { KubeApi } from '../shared/kube/types';
import { resourceFor } from '../shared/resources';
import type { Logger } from '../platform/logger';
import type { Connection } from './settings';
import { startRemoteGateway } from './remote-gateway';

export interface Backend {
  mode: 'local' | 'remote';
  /** The API server the UI talks to (the gateway in remote mode). */
  apiUrl: string;
  /** The origin the window may show: scheme://host:port of apiUrl. */
  appOrigin: string;
  /** The cluster CA the window trusts for the app origin (local mode; the gateway is plain loopback HTTP). */
  caPem?: string;
  /** The control plane's data folder, or '' for a remote cluster. */
  dataDir: string;
  /** The kubeconfig that reaches this cluster (what "Export kubeconfig…" copies). */
  kubeconfigPath: string;
  /** A fresh one-time login link for the window (each call mints a new one). */
  loginUrl(): string;
  /** A client with the kubeconfig's rights: the tray's node and pod watch. */
  api: KubeApi;
  stop(): Promise<void>;
}

export interface BackendOptions {
  connection: Connection;
  /** The in-app control plane's data folder. */
  dataDir: string;
  /** The built web UI (out/renderer). */
  uiDistDir: string;
  log: Logger;
  /** Injectable for tests; the real one by default. */
  startControlPlane?: (options: ControlPlaneOptions) => Promise<ControlPlane>;
  /**
   * Where a checkout keeps dist/agent/agent.mjs (the app's folder when run unpackaged); a packaged
   * app names its bundle through FLOTILLA_AGENT_BUNDLE instead.
   */
  appRoot?: string;
}

export class BackendError extends Error {
  constructor(
    readonly code: 'ControlPlaneFailed' | 'RemoteUnreachable' | 'KubeconfigInvalid',
    message: string,
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

export async function startBackend(options: BackendOptions): Promise<Backend> {
  return options.connection.mode === 'local'
    ? startLocal(options, options.connection.port)
    : startRemote(options);
}

async function startLocal(options: BackendOptions, port: number): Promise<Backend> {
  const start = options.startControlPlane ?? startControlPlane;
  let cp: ControlPlane;
  try {
    cp = await start({
      dataDir: options.dataDir,
      host: '127.0.0.1',
      port,
      log: options.log,
      uiDistDir: options.uiDistDir,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const hint =
      e.code === 'EADDRINUSE'
        ? ` Port ${port} is taken — is \`flotilla server\` or another Flotilla already running? Stop it, or set another port in settings.json.`
        : '';
    throw new BackendError('ControlPlaneFailed', `The control plane could not start: ${e.message}.${hint}`);
  }
  try {
    const [{ api, transport }, conn] = await Promise.all([
      kubeApiFromKubeconfig(cp.kubeconfigPath, { userAgent: 'flotilla-desktop' }),
      loadKubeconfig(cp.kubeconfigPath),
    ]);
    const loginUrl = cp.loginUrl;
    if (!loginUrl) throw new Error('the control plane does not serve the web UI');
    // As `flotilla server` does: this machine's Docker nodes run their agents in containers here,
    // kept running by the watchdog; Machines (the wizard's, kubectl's, `flotilla node add`'s) are
    // enrolled and removed by the enrollment controller.
    const watchdog = startDockerNodeWatchdog({
      dataDir: options.dataDir,
      log: (line) => options.log.warn(line),
    });
    let enrollment: EnrollmentController;
    try {
      const enrollmentLog = options.log.child('enrollment');
      const root = options.appRoot ? `${options.appRoot.replace(/\/+$/, '')}/` : undefined;
      enrollment = await startEnrollmentController({
        api,
        dataDir: options.dataDir,
        apiServerPort: Number(new URL(cp.url).port),
        apiServerUrl: cp.url,
        agentBundle: () =>
          ensureAgentBundle({ log: (l) => enrollmentLog.info(l), ...(root ? { root } : {}) }),
        log: { info: (m) => enrollmentLog.info(m), warn: (m) => enrollmentLog.warn(m) },
      });
    } catch (err) {
      watchdog.stop();
      transport.close();
      throw err;
    }
    return {
      mode: 'local',
      apiUrl: cp.url,
      appOrigin: new URL(cp.url).origin,
      ...(conn.caPem ? { caPem: conn.caPem } : {}),
      dataDir: options.dataDir,
      kubeconfigPath: cp.kubeconfigPath,
      loginUrl: () => loginUrl(),
      api,
      async stop() {
        watchdog.stop();
        await enrollment.stop();
        transport.close();
        await cp.stop();
      },
    };
  } catch (err) {
    await cp.stop();
    throw new BackendError(
      'ControlPlaneFailed',
      `The control plane started but is unusable: ${(err as Error).message}`,
    );
  }
}

async function startRemote(options: BackendOptions): Promise<Backend> {
  const connection = options.connection as Extract<Connection, { mode: 'remote' }>;
  const context = connection.context ? { context: connection.context } : {};
  let conn;
  try {
    conn = await loadKubeconfig(connection.kubeconfigPath, context);
  } catch (err) {
    throw new BackendError('KubeconfigInvalid', (err as Error).message);
  }
  const { api, transport } = await kubeApiFromKubeconfig(connection.kubeconfigPath, {
    ...context,
    userAgent: 'flotilla-desktop',
  });
  try {
    // Fail early with a clear message rather than show a window of errors.
    await api.list(resourceFor('', 'namespaces'), { limit: 1 });
  } catch (err) {
    transport.close();
    throw new BackendError(
      'RemoteUnreachable',
      `${conn.server} did not answer as expected: ${(err as Error).message}`,
    );
  }
  const gateway = await startRemoteGateway({
    upstream: conn,
    uiDistDir: options.uiDistDir,
    log: options.log.child('gateway'),
  });
  return {
    mode: 'remote',
    apiUrl: gateway.url,
    appOrigin: new URL(gateway.url).origin,
    dataDir: '',
    kubeconfigPath: connection.kubeconfigPath,
    loginUrl: () => gateway.loginUrl(),
    api,
    async stop() {
      transport.close();
      await gateway.close();
    },
  };
}

/** "Export kubeconfig…": a copy of the file kubectl needs, readable by its owner only (it holds the admin key). */
export async function exportKubeconfig(
  backend: Pick<Backend, 'kubeconfigPath'>,
  target: string,
): Promise<void> {
  await copyFile(backend.kubeconfigPath, target);
  await chmod(target, 0o600);
}
