// The API server: HTTPS with the cluster's CA, authentication (client certificates, bearer tokens),
// authorization, then discovery, OpenAPI and the generic REST handlers. The only writer of the store.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ResourceInfo } from '../../shared/resources';
import type { Store } from '../store/types';
import {
  aggregatedDiscovery,
  AGGREGATED_DISCOVERY_V2,
  AGGREGATED_DISCOVERY_V2BETA1,
  apiGroupDocument,
  apiGroupList,
  apiResourceList,
  apiVersions,
  wantsAggregated,
} from './discovery';
import { startAllocationRepair } from './allocators/repair';
import { createServiceAllocators } from './allocators/services';
import type { ServiceNetworkOptions } from './allocators/services';
import { ensureSystemNamespaces } from './bootstrap';
import { errors } from './errors';
import { sendError, sendJson, sendRaw } from './http';
import type { KindStrategy } from './kinds/types';
import { parseRequest } from './request-info';
import type { RequestInfo } from './request-info';
import type { Logger, RestContext, RestHooks, SchemaLayer } from './rest/context';
import { addDefaultTolerations } from './admission/default-tolerations';
import { negotiateOpenApiV2, OPENAPI_V2_PROTOBUF, openApiV2Protobuf } from './schema/openapi-v2-proto';
import { handleResource } from './rest/handler';
import { requestUser, withNodeRestriction } from './auth/node-authorizer';
import { createNodeApis, streamingVerb, writeSocketError } from './proxy';
import type { AgentTls } from './proxy';
import { WatchCache } from './storage/watch-cache';

export interface UserInfo {
  name: string;
  groups: string[];
  uid?: string;
}

export interface AuthorizationAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** For non-resource requests (`/version`, `/openapi/v3`). */
  path?: string;
}

export interface ApiServerOptions {
  store: Store;
  host: string;
  port: number;
  tls: { certPem: string; keyPem: string; caPem: string };
  authenticate(req: IncomingMessage): UserInfo | undefined;
  authorize(user: UserInfo, attrs: AuthorizationAttributes): { allowed: boolean; reason?: string };
  resources: readonly ResourceInfo[];
  strategy(r: ResourceInfo): KindStrategy;
  schema: SchemaLayer;
  openapi: OpenApiDocuments;
  log: Logger;
  clock?: () => Date;
  version?: { major: string; minor: string; gitVersion: string };
  bookmarkIntervalMs?: number;
  /** Events the watch cache keeps per resource for watches that resume from a resourceVersion. */
  eventCapacity?: number;
  serviceNetwork?: ServiceNetworkOptions;
  /** Serves the web UI under /ui/ (same origin as the API, so the browser needs no CORS). */
  ui?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /**
   * How long pods tolerate a not-ready or unreachable node before eviction. Defaults to Kubernetes'
   * 300 s; the control plane passes its node-lifecycle preset's figure so the two agree.
   */
  defaultTolerationSeconds?: number;
  /** The API server's client identity towards node agents (pods/log, pods/exec, metrics.k8s.io). */
  agentTls?: AgentTls;
}

export interface SerializedDocument {
  json: string;
  hash: string;
}

export interface OpenApiDocuments {
  v2(): SerializedDocument;
  v3Index(): unknown;
  v3GroupVersion(path: string): SerializedDocument | undefined;
}

export interface ApiServer {
  url: string;
  port: number;
  cache: WatchCache;
  close(): Promise<void>;
}

/** Paths anyone may read without credentials (as Kubernetes' system:public-info-viewer allows). */
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version']);

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const cache = await WatchCache.start(options.store, options.resources, {
    ...(options.eventCapacity !== undefined ? { eventCapacity: options.eventCapacity } : {}),
    onError: (err) => options.log.error(`watch cache: ${(err as Error).message}`),
  });
  const serviceAllocators = createServiceAllocators(options.store, options.serviceNetwork);
  const tolerationSeconds = options.defaultTolerationSeconds ?? 300;
  const podHooks: RestHooks = { admitCreate: (pod) => addDefaultTolerations(pod, tolerationSeconds) };
  const ctx: RestContext = {
    store: options.store,
    cache,
    hooks: withNodeRestriction((r) =>
      r.group !== ''
        ? undefined
        : r.plural === 'services'
          ? serviceAllocators.hooks
          : r.plural === 'pods'
            ? podHooks
            : undefined,
    ),
    clock: options.clock ?? (() => new Date()),
    strategy: options.strategy,
    resources: options.resources,
    schema: options.schema,
    log: options.log,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 15_000,
  };
  await ensureSystemNamespaces(ctx);
  const servicesResource = options.resources.find((r) => r.group === '' && r.plural === 'services')!;
  const repair = startAllocationRepair(
    serviceAllocators,
    async () => {
      await cache.sync();
      return cache
        .cacheFor(servicesResource)
        .list('/registry/core/services/')
        .map((o) => o.obj);
    },
    options.log,
  );
  const version = options.version ?? { major: '1', minor: '32', gitVersion: 'v1.32.0-flotilla' };
  let serverAddress = `${options.host}:${options.port}`;

  const server: Server = createServer(
    {
      cert: options.tls.certPem,
      key: options.tls.keyPem,
      ca: options.tls.caPem,
      requestCert: true,
      rejectUnauthorized: false,
      keepAliveTimeout: 120_000,
    },
    (req, res) => {
      if (options.ui?.(req, res)) return;
      handle(req, res).catch((err: unknown) => {
        if (!(err instanceof Error && 'code' in err && typeof err.code === 'number')) {
          options.log.error(`${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
        }
        sendError(res, err);
      });
    },
  );
  const nodeApis = options.agentTls
    ? createNodeApis({ cache, tls: options.agentTls, log: options.log })
    : undefined;
  // Upgrades (kubectl exec over WebSocket) are authenticated and authorized like any request.
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    // Upgraded sockets leave the server's bookkeeping: close() must end them itself.
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    (async () => {
      const { info } = admit(req);
      if (info.kind !== 'resource' || !nodeApis?.proxy.serves(info))
        throw errors.badRequest(`${req.url ?? ''} cannot be upgraded`);
      await nodeApis.proxy.upgrade(req, socket, head, info);
    })().catch((err: unknown) => writeSocketError(socket, err));
  });
  // Watches are long-lived; Node's default request timeout would cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const early = parseRequest(req.method ?? 'GET', req.url ?? '/');
    if (early.kind === 'nonResource' && PUBLIC_PATHS.has(early.path)) return nonResource(req, res, early);
    const { info, user } = admit(req);
    if (info.kind === 'resource' && nodeApis?.proxy.serves(info)) return nodeApis.proxy.serve(req, res, info);
    if (info.kind === 'resource' && nodeApis?.metrics.serves(info))
      return nodeApis.metrics.serve(req, res, info);
    if (info.kind === 'resource') return requestUser.run(user, () => handleResource(ctx, req, res, info));
    return nonResource(req, res, info);
  }

  /** Authenticates and authorizes a request (401/403 thrown as ApiError). */
  function admit(req: IncomingMessage): { info: RequestInfo; user: UserInfo } {
    const info = parseRequest(req.method ?? 'GET', req.url ?? '/');
    const user = options.authenticate(req);
    if (!user) throw errors.unauthorized();
    const attrs: AuthorizationAttributes =
      info.kind === 'resource'
        ? {
            verb: streamingVerb(info),
            group: info.group,
            resource: info.resource,
            ...(info.subresource !== undefined ? { subresource: info.subresource } : {}),
            ...(info.namespace !== undefined ? { namespace: info.namespace } : {}),
            ...(info.name !== undefined ? { name: info.name } : {}),
            ...(info.name === undefined ? nameOfSelector(info.verb, info.query) : {}),
          }
        : { verb: info.verb, group: '', resource: '', path: info.path };
    const decision = options.authorize(user, attrs);
    if (!decision.allowed) throw forbidden(user, attrs, decision.reason);
    return { info, user };
  }

  function nonResource(
    req: IncomingMessage,
    res: ServerResponse,
    info: Extract<RequestInfo, { kind: 'nonResource' }>,
  ) {
    if (info.verb !== 'get' && info.verb !== 'head') throw errors.methodNotAllowed();
    const path = info.path.replace(/\/+$/, '') || '/';
    switch (path) {
      case '/healthz':
      case '/livez':
      case '/readyz':
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('ok');
        return;
      case '/version':
        return sendJson(res, 200, {
          ...version,
          gitCommit: '',
          gitTreeState: 'clean',
          buildDate: '2026-11-25T00:00:00Z',
          goVersion: `node${process.versions.node}`,
          compiler: 'flotilla',
          platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
        });
      case '/api':
      case '/apis': {
        const aggregated = wantsAggregated(req.headers.accept);
        if (aggregated) {
          const doc = aggregatedDiscovery(options.resources, path === '/api', aggregated);
          if (nodeApis && path === '/apis')
            (doc.items as unknown[]).push(nodeApis.metrics.discovery.aggregatedItem());
          return sendJson(res, 200, doc, {
            'Content-Type': aggregated === 'v2' ? AGGREGATED_DISCOVERY_V2 : AGGREGATED_DISCOVERY_V2BETA1,
          });
        }
        if (path === '/api') return sendJson(res, 200, apiVersions(serverAddress));
        const groups = apiGroupList(options.resources);
        if (nodeApis) (groups.groups as unknown[]).push(nodeApis.metrics.discovery.group());
        return sendJson(res, 200, groups);
      }
      case '/openapi/v2': {
        // kubectl's client-side validation asks for gnostic's protobuf; browsers and tools get JSON.
        const format = negotiateOpenApiV2(req.headers.accept);
        if (!format)
          throw errors.notAcceptable(`only application/json and ${OPENAPI_V2_PROTOBUF} are served`);
        const json = options.openapi.v2();
        if (format === 'json') return sendDocument(req, res, json, false, { Vary: 'Accept' });
        const pb = openApiV2Protobuf(json);
        return sendDocument(req, res, { body: pb.bytes, hash: pb.hash }, false, {
          Vary: 'Accept',
          'Content-Type': OPENAPI_V2_PROTOBUF,
        });
      }
      case '/openapi/v3':
        return sendJson(res, 200, options.openapi.v3Index());
    }
    if (path.startsWith('/openapi/v3/')) {
      const doc = options.openapi.v3GroupVersion(path.slice('/openapi/v3/'.length));
      if (doc) return sendDocument(req, res, doc, info.query.get('hash') === doc.hash);
    }
    const metricsDoc = nodeApis?.metrics.discovery.forPath(path);
    if (metricsDoc) return sendJson(res, 200, metricsDoc);
    const parts = path.split('/').filter(Boolean);
    if (parts[0] === 'api' && parts.length === 2) {
      const list = apiResourceList(options.resources, '', parts[1]!);
      if (list) return sendJson(res, 200, list);
    }
    if (parts[0] === 'apis' && parts.length === 2) {
      const group = apiGroupDocument(options.resources, parts[1]!);
      if (group) return sendJson(res, 200, group);
    }
    if (parts[0] === 'apis' && parts.length === 3) {
      const list = apiResourceList(options.resources, parts[1]!, parts[2]!);
      if (list) return sendJson(res, 200, list);
    }
    throw errors.notFoundPath(info.path);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  serverAddress = `${options.host}:${port}`;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;

  return {
    url: `https://${hostForUrl === '0.0.0.0' ? '127.0.0.1' : hostForUrl}:${port}`,
    port,
    cache,
    async close() {
      repair.stop();
      cache.stop();
      nodeApis?.close();
      for (const socket of upgraded) socket.destroy();
      server.closeIdleConnections();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Watches hold connections open; end them so close completes.
        setImmediate(() => server.closeAllConnections());
      });
    },
  };
}

/**
 * OpenAPI documents are large and rarely change: kubectl caches them by hash and revalidates with
 * If-None-Match, so answer 304 when it already has this version.
 */
function sendDocument(
  req: IncomingMessage,
  res: ServerResponse,
  doc: SerializedDocument | { body: Uint8Array; hash: string },
  immutable: boolean,
  extraHeaders: Record<string, string> = {},
) {
  // Each representation has its own hash, so a cached JSON copy never validates a protobuf request.
  const etag = `"${doc.hash}"`;
  const headers: Record<string, string> = {
    ETag: etag,
    'Cache-Control': immutable ? 'public, immutable' : 'no-cache, private',
    ...extraHeaders,
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  if ('json' in doc) return sendRaw(res, 200, doc.json, headers);
  res.writeHead(200, { 'Content-Length': doc.body.length, ...headers });
  res.end(doc.body);
}

function forbidden(user: UserInfo, attrs: AuthorizationAttributes, reason: string | undefined) {
  const what = attrs.path
    ? `path "${attrs.path}"`
    : `resource "${attrs.resource}${attrs.subresource ? `/${attrs.subresource}` : ''}" in API group "${attrs.group}"${
        attrs.namespace
          ? ` in the namespace "${attrs.namespace}"`
          : attrs.resource
            ? ' at the cluster scope'
            : ''
      }`;
  const subject = attrs.resource
    ? `${attrs.resource}${attrs.name ? ` "${attrs.name}"` : ''} is forbidden: `
    : 'forbidden: ';
  return errors.forbidden(
    `${subject}User "${user.name}" cannot ${attrs.verb} ${what}${reason ? `: ${reason}` : ''}`,
    { group: attrs.group, kind: attrs.resource, ...(attrs.name ? { name: attrs.name } : {}) },
  );
}

/**
 * A list or watch limited to one object by `fieldSelector=metadata.name=X` is authorized as a request
 * for that object, as kube-apiserver's RequestInfo does (how a client watches one object by name).
 */
export function nameOfSelector(verb: string, query: URLSearchParams): { name?: string } {
  if (verb !== 'list' && verb !== 'watch') return {};
  const selector = query.get('fieldSelector');
  const match = selector ? /^\s*metadata\.name\s*==?\s*([^,=!\s]+)\s*$/.exec(selector) : null;
  return match ? { name: match[1]! } : {};
}
