// HTTPS from the API server to node agents (the kubelet API's role): the API server presents its
// client certificate (CN=flotilla:apiserver, from the cluster CA) and accepts only agents whose
// serving certificate the cluster CA signed for the address it dials. One keep-alive pool for plain
// requests (logs, stats); upgraded connections (exec) get their own socket.
import type { ClientRequest, IncomingMessage } from 'node:http';
import https from 'node:https';
import { AGENT_PORT } from '../../../shared/agent-api';
import { errors } from '../errors';
import type { ApiError } from '../errors';

export interface AgentTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface AgentEndpoint {
  nodeName: string;
  host: string;
  port: number;
}

/** The parts of a Node that say where its agent listens. */
export interface NodeLike {
  metadata?: { name?: string };
  status?: {
    addresses?: { type: string; address: string }[];
    daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
    conditions?: { type: string; status: string }[];
  };
}

/** InternalIP (else ExternalIP, else Hostname) and the kubelet endpoint port the agent registered. */
export function agentEndpoint(node: NodeLike): AgentEndpoint {
  const nodeName = node.metadata?.name ?? '';
  const addresses = node.status?.addresses ?? [];
  const address =
    addresses.find((a) => a.type === 'InternalIP') ??
    addresses.find((a) => a.type === 'ExternalIP') ??
    addresses.find((a) => a.type === 'Hostname');
  if (!address?.address)
    throw errors.unavailable(`node "${nodeName}" has no address yet: its agent has not registered`);
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port || AGENT_PORT;
  return { nodeName, host: address.address, port };
}

export function endpointUrl(e: AgentEndpoint): string {
  return `https://${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`;
}

export function isNodeReady(node: NodeLike): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export interface AgentClient {
  /** Starts a request; the caller ends it (and reads or pipes the response). */
  open(
    endpoint: AgentEndpoint,
    method: string,
    path: string,
    headers?: Record<string, string>,
    upgrade?: boolean,
  ): ClientRequest;
  /** GET a JSON document, with a deadline. */
  getJson<T>(endpoint: AgentEndpoint, path: string, timeoutMs?: number): Promise<T>;
  /** The 503 a caller answers when the agent cannot be reached. */
  unreachable(endpoint: AgentEndpoint, err: unknown): ApiError;
  close(): void;
}

const CONNECT_TIMEOUT_MS = 10_000;

export function createAgentClient(tls: AgentTls): AgentClient {
  const tlsOptions = { ca: tls.caPem, cert: tls.certPem, key: tls.keyPem };
  const pool = new https.Agent({ ...tlsOptions, keepAlive: true, maxSockets: 32 });

  function open(
    endpoint: AgentEndpoint,
    method: string,
    path: string,
    headers: Record<string, string> = {},
    upgrade = false,
  ): ClientRequest {
    const req = https.request({
      ...tlsOptions,
      host: endpoint.host,
      port: endpoint.port,
      method,
      path,
      headers: { 'user-agent': 'flotilla-apiserver', ...headers },
      agent: upgrade ? false : pool,
    });
    // A deadline for connecting and the first answer only: log streams may then stay open for hours.
    req.setTimeout(CONNECT_TIMEOUT_MS, () =>
      req.destroy(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)),
    );
    req.once('response', () => req.setTimeout(0));
    req.once('upgrade', () => req.setTimeout(0));
    return req;
  }

  function unreachable(endpoint: AgentEndpoint, err: unknown): ApiError {
    const why = err instanceof Error ? err.message : String(err);
    return errors.unavailable(
      `the agent of node "${endpoint.nodeName}" at ${endpointUrl(endpoint)} is not reachable: ${why}`,
    );
  }

  async function getJson<T>(endpoint: AgentEndpoint, path: string, timeoutMs = 5_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const req = open(endpoint, 'GET', path, { accept: 'application/json' });
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) {
            reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
            return;
          }
          try {
            resolve(JSON.parse(text) as T);
          } catch (e) {
            reject(e as Error);
          }
        });
      });
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.end();
    });
  }

  return { open, getJson, unreachable, close: () => pool.destroy() };
}
