// The Transport over Node's https (or http for plain loopback test servers), with a keep-alive agent
// so informers and controllers reuse connections. Used by the control plane's in-process client, the
// agent and the CLI; the renderer brings its own fetch-based transport.
import http from 'node:http';
import https from 'node:https';
import { errorFromResponse, encodeQuery, statusForCode } from '../kube/client';
import { KubeApiError } from '../kube/types';
import type { KubeRequest, KubeResponse, Transport } from '../kube/types';

export interface NodeTransportOptions {
  /** https://HOST:PORT (http:// only for loopback test servers). */
  server: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  /** Socket pool size per host (default 64: many long-lived watches share it with requests). */
  maxSockets?: number;
  /** Per-request timeout for non-streaming calls (default 60 s). */
  requestTimeoutMs?: number;
  userAgent?: string;
}

export interface NodeTransport extends Transport {
  /** Closes pooled sockets. */
  close(): void;
}

export function createNodeTransport(options: NodeTransportOptions): NodeTransport {
  const base = new URL(options.server);
  const secure = base.protocol === 'https:';
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
  const agent = secure
    ? new https.Agent({
        ...agentOptions,
        ...(options.caPem ? { ca: options.caPem } : {}),
        ...(options.certPem ? { cert: options.certPem } : {}),
        ...(options.keyPem ? { key: options.keyPem } : {}),
      })
    : new http.Agent(agentOptions);
  const basePath = base.pathname.replace(/\/$/, '');

  function open(req: KubeRequest, payload: string | undefined): http.ClientRequest {
    const headers: Record<string, string> = {
      accept: req.accept ?? 'application/json',
      'user-agent': options.userAgent ?? 'flotilla',
    };
    if (payload !== undefined) {
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const requestOptions: https.RequestOptions = {
      protocol: base.protocol,
      hostname: base.hostname.replace(/^\[|\]$/g, ''),
      port: base.port || (secure ? 443 : 80),
      method: req.method,
      path: basePath + req.path + encodeQuery(req.query),
      headers,
      agent,
    };
    return secure ? https.request(requestOptions) : http.request(requestOptions);
  }

  function parseBody(text: string, contentType: string | undefined): unknown {
    if (!text) return undefined;
    if (contentType && !contentType.includes('json')) return text;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  function flatHeaders(res: http.IncomingMessage): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
    return out;
  }

  function abortError(): KubeApiError {
    return new KubeApiError(499, statusForCode(499, 'the request was aborted'));
  }

  return {
    request(req) {
      const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
      return new Promise<KubeResponse>((resolve, reject) => {
        if (req.signal?.aborted) return reject(abortError());
        const r = open(req, payload);
        const onAbort = () => r.destroy(abortError());
        req.signal?.addEventListener('abort', onAbort, { once: true });
        r.setTimeout(options.requestTimeoutMs ?? 60_000, () =>
          r.destroy(
            new KubeApiError(504, statusForCode(504, `request timed out: ${req.method} ${req.path}`)),
          ),
        );
        r.on('error', (err) => {
          req.signal?.removeEventListener('abort', onAbort);
          reject(err);
        });
        r.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            req.signal?.removeEventListener('abort', onAbort);
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              headers: flatHeaders(res),
              body: parseBody(text, res.headers['content-type']),
            });
          });
        });
        r.end(payload);
      });
    },

    stream(req, onLine, streamOptions) {
      const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
      return new Promise<void>((resolve, reject) => {
        if (req.signal?.aborted) return resolve();
        const r = open(req, payload);
        let settled = false;
        const finish = (err?: unknown) => {
          if (settled) return;
          settled = true;
          req.signal?.removeEventListener('abort', onAbort);
          if (err) reject(err);
          else resolve();
        };
        // Aborting is how callers end a watch: it resolves, it is not an error.
        const onAbort = () => {
          finish();
          r.destroy();
        };
        req.signal?.addEventListener('abort', onAbort, { once: true });
        r.on('error', (err) => finish(err));
        r.on('response', (res) => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              finish(
                errorFromResponse({
                  status,
                  headers: flatHeaders(res),
                  body: parseBody(text, res.headers['content-type']),
                }),
              );
            });
            res.on('error', (err) => finish(err));
            return;
          }
          let buffered = '';
          res.setEncoding('utf8');
          const emit = (line: string) => {
            if (settled) return;
            if (streamOptions?.raw) return onLine(line);
            if (!line.trim()) return;
            let parsed: unknown;
            try {
              parsed = JSON.parse(line);
            } catch (err) {
              finish(err);
              r.destroy();
              return;
            }
            onLine(parsed);
          };
          res.on('data', (chunk: string) => {
            buffered += chunk;
            let nl = buffered.indexOf('\n');
            while (nl >= 0) {
              emit(buffered.slice(0, nl));
              buffered = buffered.slice(nl + 1);
              nl = buffered.indexOf('\n');
            }
          });
          res.on('end', () => {
            if (buffered) emit(buffered);
            finish();
          });
          res.on('aborted', () => finish(new Error('the server closed the stream')));
          res.on('error', (err) => finish(err));
        });
        r.end(payload);
      });
    },

    close() {
      agent.destroy();
    },
  };
}
