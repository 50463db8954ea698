// The control plane as one unit: the store, the API server with its PKI and authentication, and the
// admin kubeconfig. `flotilla server` and the desktop app both start exactly this.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../platform/logger';
import { RESOURCES, resourceFor } from '../shared/resources';
import type { IncomingMessage } from 'node:http';
import { bearerToken, createAuthenticator } from './apiserver/auth/authenticator';
import { withAuthenticatedGroup } from './apiserver/auth/user';
import type { UserInfo } from './apiserver/auth/user';
import { createLoginTokens, createUiHandler } from './apiserver/ui';
import type { LoginTokens } from './apiserver/ui';
import { createAuthorizer, DEFAULT_RULES } from './apiserver/auth/authorizer';
import { createNodeAuthorizerRule, podsFromCache } from './apiserver/auth/node-authorizer';
import { APISERVER_CLIENT_CN } from '../shared/agent-api';
import { loadTokenStore } from './apiserver/auth/tokens';
import {
  createBootstrapTokenAuthenticator,
  firstTokenAuthenticator,
  secretsFromCache,
} from './apiserver/auth/bootstrap-tokens';
import { createBootstrapperRule, csrsFromCache } from './apiserver/auth/bootstrap-authorizer';
import { strategyFor } from './apiserver/kinds';
import { ADMIN_IDENTITY, ensurePki, issueClientCertificate, writeKubeconfig } from './apiserver/pki';
import { openApiDocuments, schemaLayer } from './apiserver/schema-layer';
import { startCompactor } from './apiserver/compactor';
import { startApiServer } from './apiserver/server';
import type { ApiServer } from './apiserver/server';
import { openStore } from './store';
import { startControllerManager } from './controllers/controller-manager';
import { createCaSigner } from './controllers/csrsigning/signer';
import { createNodeLifecycleController, DESKTOP_NODE_LIFECYCLE } from './controllers/nodelifecycle';
import {
  createNodeIpamController,
  DEFAULT_CLUSTER_CIDR,
  DEFAULT_NODE_CIDR_MASK_SIZE,
} from './controllers/nodeipam';
import { DEFAULT_SERVICE_NETWORK } from './apiserver/allocators/services';
import {
  CLUSTER_SETTINGS_NAME,
  CLUSTER_SETTINGS_NAMESPACE,
  flotillaVersion,
  nodeTimingsPresetOf,
  publishClusterSettings,
} from './cluster-settings';
import { createPublishedConfigMapRule } from './apiserver/auth/cluster-settings-rule';
import type { NodeLifecycleSettings } from './controllers/nodelifecycle';
import type { SharedInformerFactory } from './controllers/framework/informer-factory';
import { startScheduler } from './scheduler';
import { createKubeApi } from '../shared/kube/client';
import type { Node, Pod } from './scheduler/api-types';
import { createNodeTransport } from '../shared/node/https-transport';

export interface ControlPlaneOptions {
  dataDir: string;
  host: string;
  port: number;
  /** Defaults to `sqlite://<dataDir>/state.db`. */
  storeUrl?: string;
  log: Logger;
  /** Serve the web UI from this folder (the built renderer) under /ui/. */
  uiDistDir?: string;
  /** Intervals and sizes tests shorten to observe what production does slowly. */
  tuning?: {
    /** How often watches that ask for bookmarks get one (default 15 s). */
    bookmarkIntervalMs?: number;
    /** How often store history is compacted (default 5 min). */
    compactIntervalMs?: number;
    /** Events kept per resource for resuming watches (default 10,000). */
    watchCacheEventCapacity?: number;
  };
  /** Parts to leave out, e.g. for a benchmark that runs its own scheduler: 'scheduler', 'controllers'. */
  disable?: ('scheduler' | 'controllers')[];
  /** Controller settings (default: the desktop presets). */
  controllers?: {
    /** Node lifecycle timings; defaultTolerationSeconds also goes to the API server's admission. */
    nodeLifecycle?: Partial<NodeLifecycleSettings>;
    /** The preset the timings came from, as published in the cluster's settings (default: inferred). */
    nodeTimingsPreset?: string;
  };
  /** Flotilla's version as published in the cluster's settings (default: from package.json). */
  version?: string;
}

export interface ControlPlane {
  url: string;
  kubeconfigPath: string;
  apiServer: ApiServer;
  /** A one-time login link to the web UI, when it is served. */
  loginUrl?(): string;
  stop(): Promise<void>;
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const { dataDir, log } = options;
  const tuning = options.tuning ?? {};
  const nodeLifecycle = { ...DESKTOP_NODE_LIFECYCLE, ...options.controllers?.nodeLifecycle };
  // Passed to the parts that use them and published as they are, so what clients read is what runs.
  const serviceNetwork = DEFAULT_SERVICE_NETWORK;
  const nodeIpam = { clusterCIDR: DEFAULT_CLUSTER_CIDR, nodeCIDRMaskSize: DEFAULT_NODE_CIDR_MASK_SIZE };
  await mkdir(dataDir, { recursive: true });
  const pki = await ensurePki(dataDir, { hosts: [options.host], log: log.child('pki') });
  const tokens = await loadTokenStore(dataDir);
  const login = options.uiDistDir ? createLoginTokens() : undefined;
  let apiServer: ApiServer | undefined;
  // Bootstrap tokens are Secrets, read from the API server's watch cache once it runs.
  const bootstrapTokens = createBootstrapTokenAuthenticator({
    getSecret: secretsFromCache(() => apiServer?.cache),
  });
  const certOrToken = createAuthenticator({
    caPem: pki.caPem,
    tokens: firstTokenAuthenticator(tokens, bootstrapTokens),
  });
  const store = await openStore(options.storeUrl ?? `sqlite://${join(dataDir, 'state.db')}`);
  // The API server's identity towards node agents (logs, exec, metrics); the agents trust only it.
  const agentClient = await issueClientCertificate(pki.ca, { commonName: APISERVER_CLIENT_CN });
  const nodeRule = createNodeAuthorizerRule({ getPod: podsFromCache(() => apiServer?.cache) });
  const bootstrapperRule = createBootstrapperRule({ getCsr: csrsFromCache(() => apiServer?.cache) });
  const settingsRule = createPublishedConfigMapRule({
    namespace: CLUSTER_SETTINGS_NAMESPACE,
    name: CLUSTER_SETTINGS_NAME,
  });
  try {
    apiServer = await startApiServer({
      store,
      host: options.host,
      port: options.port,
      tls: { certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, caPem: pki.caPem },
      authenticate: (req) => certOrToken(req) ?? sessionUser(login, req),
      ...(login && options.uiDistDir ? { ui: createUiHandler({ distDir: options.uiDistDir, login }) } : {}),
      authorize: createAuthorizer([...DEFAULT_RULES, nodeRule, bootstrapperRule, settingsRule]),
      agentTls: { caPem: pki.caPem, ...agentClient },
      resources: RESOURCES,
      strategy: strategyFor,
      schema: schemaLayer,
      openapi: openApiDocuments,
      log: log.child('apiserver'),
      // Admission and the node lifecycle controller must agree on how long pods wait out a dead node.
      defaultTolerationSeconds: nodeLifecycle.defaultTolerationSeconds,
      serviceNetwork,
      ...(tuning.bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs: tuning.bookmarkIntervalMs } : {}),
      ...(tuning.watchCacheEventCapacity !== undefined
        ? { eventCapacity: tuning.watchCacheEventCapacity }
        : {}),
    });
  } catch (err) {
    await store.close();
    throw err;
  }

  const admin = await issueClientCertificate(pki.ca, {
    ...ADMIN_IDENTITY,
    organizations: [...ADMIN_IDENTITY.organizations],
  });
  const kubeconfigPath = join(dataDir, 'kubeconfig');
  await writeKubeconfig(kubeconfigPath, {
    clusterName: 'flotilla',
    server: apiServer.url,
    caPem: pki.caPem,
    user: admin,
  });

  const compactor = startCompactor(store, log.child('compactor'), tuning.compactIntervalMs);

  // The scheduler and the controllers are API clients like any other: they reach the API server over
  // HTTPS with their own certificates, never the store (DESIGN.md boundary 2).
  const componentApi = async (commonName: string) => {
    const cert = await issueClientCertificate(pki.ca, { commonName, organizations: ['system:masters'] });
    const transport = createNodeTransport({ server: apiServer.url, caPem: pki.caPem, ...cert });
    return { api: createKubeApi(transport), transport };
  };
  const disabled = new Set(options.disable ?? []);
  let controllers: { stop(): Promise<void>; informers: SharedInformerFactory } | undefined;
  let scheduler: { close(): Promise<void> } | undefined;
  const transports: { close(): void }[] = [];
  try {
    const settingsClient = await componentApi('system:flotilla-settings');
    await publishClusterSettings(settingsClient.api, {
      ...nodeIpam,
      serviceCIDR: serviceNetwork.serviceCIDR,
      nodePorts: serviceNetwork.nodePorts,
      nodeMonitorGracePeriodSeconds: nodeLifecycle.nodeMonitorGracePeriodSeconds,
      defaultTolerationSeconds: nodeLifecycle.defaultTolerationSeconds,
      nodeTimingsPreset: options.controllers?.nodeTimingsPreset ?? nodeTimingsPresetOf(nodeLifecycle),
      dataDir: resolve(dataDir),
      version: options.version ?? flotillaVersion(),
    }).finally(() => settingsClient.transport.close());
    if (!disabled.has('controllers')) {
      const { api, transport } = await componentApi('system:kube-controller-manager');
      transports.push(transport);
      controllers = await startControllerManager({
        api,
        log,
        clusterSigner: createCaSigner(pki.ca),
        registry: {
          nodelifecycle: (ctx) => createNodeLifecycleController(ctx, nodeLifecycle),
          nodeipam: (ctx) => createNodeIpamController(ctx, nodeIpam),
        },
      });
    }
    if (!disabled.has('scheduler')) {
      const { api, transport } = await componentApi('system:kube-scheduler');
      transports.push(transport);
      const shared = controllers?.informers;
      scheduler = await startScheduler(api, {
        log: log.child('scheduler'),
        ...(shared
          ? {
              informers: {
                pods: shared.informerFor<Pod>(resourceFor('', 'pods')),
                nodes: shared.informerFor<Node>(resourceFor('', 'nodes')),
              },
            }
          : {}),
      });
    }
  } catch (err) {
    await controllers?.stop();
    for (const t of transports) t.close();
    compactor.stop();
    await apiServer.close();
    await store.close();
    throw err;
  }

  let stopped: Promise<void> | undefined;
  return {
    url: apiServer.url,
    kubeconfigPath,
    apiServer,
    ...(login ? { loginUrl: () => login.loginUrl(apiServer.url) } : {}),
    stop() {
      stopped ??= (async () => {
        await scheduler?.close();
        await controllers?.stop();
        for (const t of transports) t.close();
        compactor.stop();
        await apiServer.close();
        await store.close();
      })();
      return stopped;
    },
  };
}

/** A browser session of the web UI (a bearer token obtained with the one-time login link). */
function sessionUser(login: LoginTokens | undefined, req: IncomingMessage): UserInfo | undefined {
  const token = login ? bearerToken(req) : undefined;
  const user = token ? login!.validateSessionToken(token) : undefined;
  return user ? withAuthenticatedGroup(user) : undefined;
}
