// Proxying an upgraded connection (Kubernetes' UpgradeAwareHandler, for WebSocket exec): send the
// client's upgrade request on to the agent, relay the agent's 101 and then bytes both ways until
// either side closes. The WebSocket handshake itself (key, accept, subprotocol) stays end to end:
// the agent answers the client's key, so the proxy never parses frames.
import type { ClientRequest, IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errors, isApiError } from '../errors';
import type { ApiError } from '../errors';

/** Request headers the agent needs for the handshake. Credentials never go on to the node. */
const FORWARDED = ['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'user-agent'];
const TOKEN_SUBPROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';

export function upgradeHeaders(req: Pick<IncomingMessage, 'headers'>): Record<string, string> {
  const out: Record<string, string> = { connection: 'Upgrade', upgrade: String(req.headers.upgrade ?? '') };
  for (const name of FORWARDED) {
    const value = req.headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  const protocols = subprotocols(req.headers['sec-websocket-protocol']);
  if (protocols.length > 0) out['sec-websocket-protocol'] = protocols.join(', ');
  return out;
}

/** The subprotocols offered, without the one that carries a bearer token. */
export function subprotocols(header: string | string[] | undefined): string[] {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  return text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '' && !p.startsWith(TOKEN_SUBPROTOCOL_PREFIX));
}

/**
 * Sends `upstream` (already built with upgradeHeaders) and joins the two connections once the agent
 * switches protocols. Resolves when the proxy is established; rejects with the API error to answer
 * when the agent refuses or cannot be reached (the client socket is then still unanswered).
 */
export function proxyUpgrade(
  clientSocket: Duplex,
  clientHead: Buffer,
  upstream: ClientRequest,
  onRefused: (code: number, body: string) => ApiError,
  onUnreachable: (err: unknown) => ApiError,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err?: ApiError) => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve();
    };
    // The client may hang up before the agent answers.
    const clientGone = () => upstream.destroy();
    clientSocket.once('close', clientGone);

    upstream.on('upgrade', (res: IncomingMessage, agentSocket: Duplex, agentHead: Buffer) => {
      clientSocket.off('close', clientGone);
      const lines = [`HTTP/1.1 101 ${res.statusMessage || 'Switching Protocols'}`];
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
        lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
      clientSocket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (agentHead.length > 0) clientSocket.write(agentHead);
      if (clientHead.length > 0) agentSocket.write(clientHead);
      join(clientSocket, agentSocket);
      settle();
    });
    upstream.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= 64 * 1024) chunks.push(c);
      });
      res.on('end', () => settle(onRefused(res.statusCode ?? 502, Buffer.concat(chunks).toString('utf8'))));
      res.on('error', (err) => settle(onUnreachable(err)));
    });
    upstream.on('error', (err) => {
      clientSocket.off('close', clientGone);
      settle(onUnreachable(err));
    });
    upstream.end();
  });
}

/** Pipes both ways; when one side ends, the other is ended after what is in flight; errors close both. */
function join(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const destroyBoth = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', destroyBoth);
  b.on('error', destroyBoth);
  // A closed side cannot receive anything more: close the other once its writes are flushed.
  a.on('close', () => b.end());
  b.on('close', () => a.end());
}

/** Answers an upgrade request that will not be upgraded with a Kubernetes Status, then closes. */
export function writeSocketError(socket: Duplex, err: unknown): void {
  const apiErr = isApiError(err) ? err : errors.internal(err instanceof Error ? err.message : String(err));
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(apiErr.toStatus());
  socket.end(
    [
      `HTTP/1.1 ${apiErr.code} ${STATUS_CODES[apiErr.code] ?? 'Error'}`,
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Cache-Control: no-cache, private',
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}
