// The desktop window onto a remote Flotilla. The web UI expects to be served by the API server it
// talks to (same origin, a one-time login link, a session bearer token), but a remote server is
// reached with a kubeconfig — often a client certificate a page cannot present. So the app runs this
// small gateway on loopback: it serves the UI and its login exactly as the API server does, and
// forwards every authenticated request (watches and WebSocket exec streams included) to the remote
// server with the kubeconfig's credentials. Plain Node; nothing else listens on its port.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken } from '../control-plane/apiserver/auth/authenticator';
import { createLoginTokens, createUiHandler } from '../control-plane/apiserver/ui';
import type { KubeconfigConnection } from '../control-plane/client/kubeconfig';
import type { Logger } from '../platform/logger';

export interface RemoteGatewayOptions {
  upstream: Pick<KubeconfigConnection, 'server' | 'caPem' | 'certPem' | 'keyPem' | 'token'>;
  uiDistDir: string;
  log: Logger;
  /** Default 0: any free loopback port. */
  port?: number;
}

export interface RemoteGateway {
  /** http://127.0.0.1:PORT — loopback is a secure context for the page, and never leaves the machine. */
  url: string;
  loginUrl(): string;
  close(): Promise<void>;
}

const WS_TOKEN_PREFIX = 'base64url.bearer.authorization.k8s.io.';

/** Headers that describe one hop, not the request (RFC 9110 §7.6.1), plus the caller's credentials. */
const HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'authorization',
  'cookie',
]);

function forwardHeaders(req: IncomingMessage, upstreamToken: string | undefined): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_HEADERS.has(name)) continue;
    if (name === 'sec-websocket-protocol') {
      // The page's session token rides in a subprotocol; it means nothing upstream.
      const kept = String(value)
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p && !p.startsWith(WS_TOKEN_PREFIX));
      if (kept.length) out[name] = kept.join(', ');
      continue;
    }
    out[name] = value;
  }
  if (upstreamToken) out.authorization = `Bearer ${upstreamToken}`;
  return out;
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  });
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startRemoteGateway(options: RemoteGatewayOptions): Promise<RemoteGateway> {
  const { upstream, log } = options;
  const base = new URL(upstream.server);
  const secure = base.protocol === 'https:';
  const basePath = base.pathname.replace(/\/$/, '');
  const login = createLoginTokens();
  const ui = createUiHandler({ distDir: options.uiDistDir, login });
  const tlsOptions = {
    ...(upstream.caPem ? { ca: upstream.caPem } : {}),
    ...(upstream.certPem ? { cert: upstream.certPem } : {}),
    ...(upstream.keyPem ? { key: upstream.keyPem } : {}),
  };
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: 64, ...tlsOptions })
    : new http.Agent({ keepAlive: true });
  const sockets = new Set<Socket | Duplex>();

  const authenticated = (req: IncomingMessage) => {
    const token = bearerToken(req);
    return token !== undefined && login.validateSessionToken(token) !== undefined;
  };

  const upstreamRequest = (req: IncomingMessage) =>
    (secure ? https : http).request({
      protocol: base.protocol,
      hostname: base.hostname.replace(/^\[|\]$/g, ''),
      port: base.port || (secure ? 443 : 80),
      method: req.method,
      path: basePath + (req.url ?? '/'),
      headers: forwardHeaders(req, upstream.token),
      agent,
    });

  const server = http.createServer((req, res) => {
    if (ui(req, res)) return;
    if (!authenticated(req)) {
      sendStatus(res, 401, 'Unauthorized', 'sign in with the login link the desktop app opens');
      return;
    }
    const out = upstreamRequest(req);
    out.on('response', (up) => {
      const headers = { ...up.headers };
      delete headers.connection;
      delete headers['keep-alive'];
      res.writeHead(up.statusCode ?? 502, headers);
      up.pipe(res);
    });
    out.on('error', (err) =>
      sendStatus(res, 502, 'ServiceUnavailable', `the remote Flotilla did not answer: ${err.message}`),
    );
    // A watch lasts until the page goes away: then the upstream request must end too.
    res.on('close', () => out.destroy());
    req.pipe(out);
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (!authenticated(req)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const out = upstreamRequest(req);
    out.setHeader('connection', 'Upgrade');
    out.setHeader('upgrade', req.headers.upgrade ?? 'websocket');
    out.on('upgrade', (up, upSocket, upHead) => {
      sockets.add(upSocket);
      upSocket.on('close', () => sockets.delete(upSocket));
      const lines = [`HTTP/1.1 101 ${up.statusMessage ?? 'Switching Protocols'}`];
      for (let i = 0; i < up.rawHeaders.length; i += 2)
        lines.push(`${up.rawHeaders[i]}: ${up.rawHeaders[i + 1]}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upHead.length) socket.write(upHead);
      if (head.length) upSocket.write(head);
      upSocket.pipe(socket).pipe(upSocket);
      const end = () => {
        upSocket.destroy();
        socket.destroy();
      };
      upSocket.on('error', end);
      socket.on('error', end);
      upSocket.on('close', end);
      socket.on('close', end);
    });
    out.on('response', (up) => {
      // The upstream refused the upgrade (401, 404…): hand its answer back as-is.
      socket.write(`HTTP/1.1 ${up.statusCode} ${up.statusMessage}\r\nConnection: close\r\n\r\n`);
      up.pipe(socket);
    });
    out.on('error', () => socket.destroy());
    out.end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  log.info('gateway to remote Flotilla listening', { url, upstream: upstream.server });

  return {
    url,
    loginUrl: () => login.loginUrl(url),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      agent.destroy();
    },
  };
}
