// The control plane as one unit: the store, the API server with its PKI and authentication, and the
// admin kubeconfig. `flotilla server` and the desktop app both start exactly this.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../platform/logger';
import { RESOURCES } from '../shared/resources';
import { createAuthenticator } from './apiserver/auth/authenticator';
import { createAuthorizer } from './apiserver/auth/authorizer';
import { loadTokenStore } from './apiserver/auth/tokens';
import { strategyFor } from './apiserver/kinds';
import { ADMIN_IDENTITY, ensurePki, issueClientCertificate, writeKubeconfig } from './apiserver/pki';
import { openApiDocuments, schemaLayer } from './apiserver/schema-layer';
import { startCompactor } from './apiserver/compactor';
import { startApiServer } from './apiserver/server';
import type { ApiServer } from './apiserver/server';
import { openStore } from './store';

export interface ControlPlaneOptions {
  dataDir: string;
  host: string;
  port: number;
  /** Defaults to `sqlite://<dataDir>/state.db`. */
  storeUrl?: string;
  log: Logger;
}

export interface ControlPlane {
  url: string;
  kubeconfigPath: string;
  apiServer: ApiServer;
  stop(): Promise<void>;
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const { dataDir, log } = options;
  await mkdir(dataDir, { recursive: true });
  const pki = await ensurePki(dataDir, { hosts: [options.host], log: log.child('pki') });
  const tokens = await loadTokenStore(dataDir);
  const store = await openStore(options.storeUrl ?? `sqlite://${join(dataDir, 'state.db')}`);
  let apiServer: ApiServer;
  try {
    apiServer = await startApiServer({
      store,
      host: options.host,
      port: options.port,
      tls: { certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, caPem: pki.caPem },
      authenticate: createAuthenticator({ caPem: pki.caPem, tokens }),
      authorize: createAuthorizer(),
      resources: RESOURCES,
      strategy: strategyFor,
      schema: schemaLayer,
      openapi: openApiDocuments,
      log: log.child('apiserver'),
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

  const compactor = startCompactor(store, log.child('compactor'));

  let stopped: Promise<void> | undefined;
  return {
    url: apiServer.url,
    kubeconfigPath,
    apiServer,
    stop() {
      stopped ??= (async () => {
        compactor.stop();
        await apiServer.close();
        await store.close();
      })();
      return stopped;
    },
  };
}
