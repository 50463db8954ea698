// `pods/log` and `pods/exec` through the API server. The server has already authenticated and
// authorized the USER (get pods/log, create pods/exec); this module finds the pod and its node, decides
// what the request means (pod-target.ts) and proxies it to the node's agent, which authorizes the API
// server by its client certificate. Logs are a streamed GET; exec is a WebSocket upgrade piped both ways.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { EXEC_SUBPROTOCOLS } from '../../../shared/agent-api';
import type { Logger } from '../../../platform/logger';
import { errors } from '../errors';
import type { ResourceRequest } from '../request-info';
import { resourcePrefix } from '../storage/keys';
import type { WatchCache } from '../storage/watch-cache';
import type { AgentClient, NodeLike } from './agent-client';
import { agentEndpoint } from './agent-client';
import type { PodLike } from './pod-target';
import { agentErrorToApiError, execTarget, logTarget } from './pod-target';
import { proxyUpgrade, upgradeHeaders } from './upgrade';

export interface NodeProxyOptions {
  cache: WatchCache;
  agents: AgentClient;
  log: Pick<Logger, 'debug' | 'warn'>;
  clock?: () => number;
}

export interface NodeProxy {
  /** Whether this request is one the proxy serves (after authorization). */
  serves(info: ResourceRequest): boolean;
  /** A plain request: logs (streamed), or exec without an upgrade (answered 400). */
  serve(req: IncomingMessage, res: ServerResponse, info: ResourceRequest): Promise<void>;
  /** An upgrade request (exec over WebSocket). Rejects with the ApiError to answer on the socket. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, info: ResourceRequest): Promise<void>;
}

const PODS = { group: '', plural: 'pods' };
const NODES = { group: '', plural: 'nodes' };
/** How long a failed WebSocket exec is remembered, to explain the SPDY retry kubectl makes after it. */
const FAILURE_MEMORY_MS = 30_000;

/**
 * The authorization verb for a pod subresource that opens a stream. Exec, attach and port-forward
 * need `create` whatever the method (WebSocket clients use GET), as Kubernetes 1.35 requires.
 */
export function streamingVerb(
  info: Pick<ResourceRequest, 'group' | 'resource' | 'subresource' | 'verb'>,
): string {
  if (info.group === '' && info.resource === 'pods') {
    if (info.subresource === 'exec' || info.subresource === 'attach' || info.subresource === 'portforward')
      return 'create';
  }
  return info.verb;
}

export function createNodeProxy(options: NodeProxyOptions): NodeProxy {
  const { cache, agents } = options;
  const now = options.clock ?? Date.now;
  const recentFailures = new Map<string, { message: string; at: number }>();

  async function podAndNode(info: ResourceRequest): Promise<{ pod: PodLike; node: () => NodeLike }> {
    await cache.sync();
    const name = info.name ?? '';
    const pod = cache.cacheFor(PODS).get(`${resourcePrefix(PODS)}${info.namespace ?? ''}/${name}`)?.obj as
      PodLike | undefined;
    if (!pod) throw errors.notFound({ kind: 'pods', name });
    return {
      pod,
      node: () => {
        const nodeName = pod.spec?.nodeName ?? '';
        const node = cache.cacheFor(NODES).get(`${resourcePrefix(NODES)}${nodeName}`)?.obj as
          NodeLike | undefined;
        if (!node) throw errors.notFound({ kind: 'nodes', name: nodeName });
        return node;
      },
    };
  }

  async function serveLog(req: IncomingMessage, res: ServerResponse, info: ResourceRequest): Promise<void> {
    const { pod, node } = await podAndNode(info);
    const target = logTarget(pod, info.query);
    if (!target) {
      // Not on a node yet: Kubernetes answers an empty log.
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
      res.end();
      return;
    }
    const endpoint = agentEndpoint(node());
    const upstream = agents.open(endpoint, 'GET', `${target.path}?${target.query.toString()}`, {
      accept: 'text/plain, */*',
    });
    await new Promise<void>((resolve, reject) => {
      let finished = false;
      res.once('close', () => {
        if (!finished) upstream.destroy();
      });
      upstream.on('response', (agentRes: IncomingMessage) => {
        if (agentRes.statusCode !== 200) {
          const chunks: Buffer[] = [];
          agentRes.on('data', (c: Buffer) => chunks.push(c));
          agentRes.on('end', () => {
            finished = true;
            reject(
              agentErrorToApiError(
                agentRes.statusCode ?? 502,
                Buffer.concat(chunks).toString('utf8'),
                endpoint.nodeName,
              ),
            );
          });
          agentRes.on('error', (err) => reject(agents.unreachable(endpoint, err)));
          return;
        }
        res.writeHead(200, {
          'Content-Type': agentRes.headers['content-type'] ?? 'text/plain',
          'Cache-Control': 'no-cache, private',
        });
        res.flushHeaders();
        agentRes.pipe(res);
        agentRes.on('end', () => {
          finished = true;
          resolve();
        });
        // The agent went away mid-stream: end the client's stream too, so `logs -f` returns.
        agentRes.on('error', () => {
          finished = true;
          res.destroy();
          resolve();
        });
      });
      upstream.on('error', (err) => {
        finished = true;
        if (res.headersSent) {
          res.destroy();
          resolve();
        } else {
          reject(agents.unreachable(endpoint, err));
        }
      });
      upstream.end();
    });
  }

  function rememberFailure(info: ResourceRequest, message: string) {
    const t = now();
    for (const [k, v] of recentFailures) if (t - v.at > FAILURE_MEMORY_MS) recentFailures.delete(k);
    recentFailures.set(info.path, { message, at: t });
  }

  return {
    serves(info) {
      return (
        info.group === '' &&
        info.resource === 'pods' &&
        (info.subresource === 'log' || info.subresource === 'exec')
      );
    },

    async serve(req, res, info) {
      if (info.subresource === 'log') {
        if (info.verb !== 'get') throw errors.methodNotAllowed();
        return serveLog(req, res, info);
      }
      const { pod } = await podAndNode(info);
      execTarget(pod, info.query);
      throw errors.badRequest('Upgrade request required');
    },

    async upgrade(req, socket, head, info) {
      if (info.subresource !== 'exec')
        throw errors.badRequest(`pods/${info.subresource ?? ''} cannot be upgraded`);
      const { pod, node } = await podAndNode(info);
      const target = execTarget(pod, info.query);
      const protocol = String(req.headers.upgrade ?? '').toLowerCase();
      if (protocol !== 'websocket') {
        // kubectl 1.30+ tries WebSocket first and only falls back to SPDY when that upgrade failed.
        const earlier = recentFailures.get(info.path);
        throw errors.badRequest(
          earlier && now() - earlier.at <= FAILURE_MEMORY_MS
            ? earlier.message
            : `exec over ${req.headers.upgrade ?? 'SPDY'} is not supported: use a client that speaks WebSocket (${EXEC_SUBPROTOCOLS.join(', ')}), such as kubectl 1.30 or later`,
        );
      }
      const endpoint = agentEndpoint(node());
      const upstream = agents.open(
        endpoint,
        'GET',
        `${target.path}?${target.query.toString()}`,
        upgradeHeaders(req),
        true,
      );
      try {
        await proxyUpgrade(
          socket,
          head,
          upstream,
          (code, body) => agentErrorToApiError(code, body, endpoint.nodeName),
          (err) => agents.unreachable(endpoint, err),
        );
        options.log.debug(`exec proxied to node ${endpoint.nodeName}`, { pod: info.path });
      } catch (err) {
        rememberFailure(info, (err as Error).message);
        throw err;
      }
    },
  };
}
