// The agent's HTTPS API (shared/agent-api.ts): container logs, exec over WebSocket, the stats summary
// and a health check. TLS with the node's serving certificate; every request must present a client
// certificate issued by the cluster CA (401 otherwise) whose CN is the API server's (403 otherwise):
// the API server authorizes the user, the agent authorizes the API server.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import { APISERVER_CLIENT_CN, agentPaths } from '../../shared/agent-api';
import type { StatsSummary } from '../../shared/agent-api';
import { isRuntimeError } from '../runtime/types';
import type { ExecOptions, ExecSession, LogOptions } from '../runtime/types';
import { parseExecQuery, pickSubprotocol, serveExec } from './exec';

/** What the server serves from (the Kubelet and the stats collector). */
export interface AgentBackend {
  logs(
    namespace: string,
    pod: string,
    container: string | undefined,
    options: LogOptions & { previous?: boolean },
  ): Promise<Readable>;
  exec(
    namespace: string,
    pod: string,
    container: string | undefined,
    options: ExecOptions,
  ): Promise<ExecSession>;
  statsSummary(): Promise<StatsSummary>;
}

export interface AgentServerOptions {
  caPem: string;
  certPem: string;
  keyPem: string;
  host: string;
  port: number;
  /** The CN a client certificate must carry (default APISERVER_CLIENT_CN). */
  allowedClientCN?: string;
  log?: (message: string) => void;
  now?: () => number;
}

export interface AgentServer {
  /** The port actually bound (when asked for 0). */
  port: number;
  /** Sets (or replaces) what requests are served from; until then, everything but /healthz answers 503. */
  attach(backend: AgentBackend): void;
  close(): Promise<void>;
}

type Problem = { code: number; reason: string; message: string };

function statusBody(p: Problem): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: p.message,
    reason: p.reason,
    code: p.code,
  });
}

function sendProblem(res: ServerResponse, p: Problem): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(p.code, { 'content-type': 'application/json' });
  res.end(statusBody(p));
}

/** Checks the client certificate: undefined when the caller is the API server. */
export function authenticateClient(socket: TLSSocket, allowedCN: string): Problem | undefined {
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0)
    return { code: 401, reason: 'Unauthorized', message: 'a client certificate is required' };
  if (!socket.authorized)
    return {
      code: 401,
      reason: 'Unauthorized',
      message: `the client certificate is not valid for this cluster: ${String(socket.authorizationError ?? 'unknown')}`,
    };
  const cn = cert.subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  if (name !== allowedCN)
    return { code: 403, reason: 'Forbidden', message: `user "${name ?? ''}" may not use the node's API` };
  return undefined;
}

function problemFor(err: unknown): Problem {
  const message = err instanceof Error ? err.message : String(err);
  if (isRuntimeError(err, 'NotFound')) return { code: 404, reason: 'NotFound', message };
  if (isRuntimeError(err, 'StartFailed')) return { code: 400, reason: 'BadRequest', message };
  return { code: 500, reason: 'InternalError', message };
}

/** /containerLogs/NS/POD/CONTAINER or /exec/NS/POD/CONTAINER → the parts (container may be empty). */
export function parsePodPath(
  pathname: string,
  prefix: string,
): { namespace: string; pod: string; container?: string } | undefined {
  if (!pathname.startsWith(`/${prefix}/`)) return undefined;
  const parts = pathname
    .slice(prefix.length + 2)
    .split('/')
    .map(decodeURIComponent);
  const [namespace, pod, container] = parts;
  if (!namespace || !pod || parts.length > 3) return undefined;
  return { namespace, pod, ...(container ? { container } : {}) };
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

function intParam(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw Object.assign(new Error(`${name} must be an integer >= ${min}`), { bad: true });
  return n;
}

/** The log query as kubectl sends it to pods/log → the runtime's options. */
export function parseLogQuery(q: URLSearchParams, nowMs: number): LogOptions & { previous: boolean } {
  const options: LogOptions & { previous: boolean } = {
    follow: boolParam(q, 'follow'),
    timestamps: boolParam(q, 'timestamps'),
    previous: boolParam(q, 'previous'),
  };
  const tail = intParam(q, 'tailLines', 0);
  if (tail !== undefined) options.tailLines = tail;
  const limit = intParam(q, 'limitBytes', 1);
  if (limit !== undefined) options.limitBytes = limit;
  const sinceSeconds = intParam(q, 'sinceSeconds', 1);
  const sinceTime = q.get('sinceTime');
  if (sinceSeconds !== undefined) options.sinceUnixSeconds = Math.floor(nowMs / 1000) - sinceSeconds;
  else if (sinceTime) {
    const t = Date.parse(sinceTime);
    if (Number.isNaN(t)) throw Object.assign(new Error('sinceTime must be an RFC 3339 time'), { bad: true });
    options.sinceUnixSeconds = Math.floor(t / 1000);
  }
  return options;
}

export function startAgentServer(options: AgentServerOptions): Promise<AgentServer> {
  const allowedCN = options.allowedClientCN ?? APISERVER_CLIENT_CN;
  const log = options.log ?? (() => undefined);
  const now = options.now ?? Date.now;
  let backend: AgentBackend | undefined;
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => pickSubprotocol(protocols) ?? false,
  });

  const server = https.createServer(
    {
      cert: options.certPem,
      key: options.keyPem,
      ca: options.caPem,
      requestCert: true,
      // Checked per request so the answer is a 401 Status rather than a failed handshake.
      rejectUnauthorized: false,
    },
    (req, res) => void handle(req, res),
  );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://agent');
    const denied = authenticateClient(req.socket as TLSSocket, allowedCN);
    if (denied) return sendProblem(res, denied);
    if (url.pathname === agentPaths.healthz) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (req.method !== 'GET')
      return sendProblem(res, {
        code: 405,
        reason: 'MethodNotAllowed',
        message: `${req.method ?? ''} is not allowed`,
      });
    if (!backend)
      return sendProblem(res, {
        code: 503,
        reason: 'ServiceUnavailable',
        message: 'the agent is still starting',
      });
    try {
      if (url.pathname === agentPaths.statsSummary) {
        const summary = await backend.statsSummary();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(summary));
        return;
      }
      const logTarget = parsePodPath(url.pathname, 'containerLogs');
      if (logTarget) return await serveLogs(backend, logTarget, url.searchParams, req, res);
      if (parsePodPath(url.pathname, 'exec'))
        return sendProblem(res, {
          code: 400,
          reason: 'BadRequest',
          message: 'exec needs a WebSocket upgrade',
        });
      sendProblem(res, { code: 404, reason: 'NotFound', message: `${url.pathname} not found` });
    } catch (err) {
      if ((err as { bad?: boolean }).bad)
        return sendProblem(res, { code: 400, reason: 'BadRequest', message: (err as Error).message });
      sendProblem(res, problemFor(err));
    }
  }

  async function serveLogs(
    b: AgentBackend,
    target: { namespace: string; pod: string; container?: string },
    query: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const abort = new AbortController();
    const options = { ...parseLogQuery(query, now()), signal: abort.signal };
    const stream = await b.logs(target.namespace, target.pod, target.container, options);
    res.on('close', () => {
      abort.abort();
      stream.destroy();
    });
    req.on('close', () => abort.abort());
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
    res.flushHeaders();
    stream.on('data', (chunk: Buffer) => res.write(chunk));
    stream.on('end', () => res.end());
    stream.on('error', () => res.end());
  }

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    void (async () => {
      const reject = (p: Problem) => {
        const body = statusBody(p);
        socket.end(
          `HTTP/1.1 ${p.code} ${p.reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        );
      };
      const denied = authenticateClient(socket as TLSSocket, allowedCN);
      if (denied) return reject(denied);
      const url = new URL(req.url ?? '/', 'https://agent');
      const target = parsePodPath(url.pathname, 'exec');
      if (!target) return reject({ code: 404, reason: 'NotFound', message: `${url.pathname} not found` });
      if (!backend)
        return reject({ code: 503, reason: 'ServiceUnavailable', message: 'the agent is still starting' });
      const offered = String(req.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((s) => s.trim());
      if (!pickSubprotocol(offered))
        return reject({
          code: 400,
          reason: 'BadRequest',
          message: `exec needs one of the subprotocols ${['v5.channel.k8s.io', 'v4.channel.k8s.io'].join(', ')}`,
        });
      const request = parseExecQuery(url.searchParams);
      if (request.command.length === 0)
        return reject({ code: 400, reason: 'BadRequest', message: 'you must specify at least one command' });
      let session: ExecSession;
      try {
        session = await backend.exec(target.namespace, target.pod, target.container, {
          command: request.command,
          tty: request.tty,
          stdin: request.stdin,
        });
      } catch (err) {
        return reject(problemFor(err));
      }
      if (socket.destroyed) return session.close();
      wss.handleUpgrade(req, socket, head, (ws) => {
        void serveExec(ws, session, request).catch((err: unknown) => log(`exec failed: ${String(err)}`));
      });
    })().catch((err: unknown) => {
      log(`upgrade failed: ${String(err)}`);
      socket.destroy();
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        attach(b) {
          backend = b;
        },
        close() {
          return new Promise<void>((done) => {
            for (const client of wss.clients) client.terminate();
            wss.close();
            server.close(() => done());
            server.closeAllConnections();
          });
        },
      });
    });
  });
}
