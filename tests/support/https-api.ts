// Raw HTTPS requests to a test control plane, as any HTTP client would send them: the kubeconfig's
// CA and client certificate (or other credentials the test chooses), no Kubernetes client library in
// between. Used by the suites that check status codes, headers and watch streams byte for byte.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { readKubeconfig } from '../../src-main/control-plane/apiserver/pki/kubeconfig';
import type { KubeconfigCredentials } from '../../src-main/control-plane/apiserver/pki/kubeconfig';

export interface ApiResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
}

/** The fields of a Kubernetes `Status` body the suites assert on. */
export interface StatusBody {
  kind?: string;
  status?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: {
    name?: string;
    kind?: string;
    group?: string;
    causes?: { type?: string; field?: string; message?: string }[];
  };
}

export interface RequestOptions {
  /** A string or Buffer is sent as is; anything else as JSON. */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** Replaces the kubeconfig's client certificate; `null` sends no client certificate. */
  clientCert?: { certPem: string; keyPem: string } | null;
  timeoutMs?: number;
}

export interface ApiClient {
  creds: KubeconfigCredentials;
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  get(path: string, options?: RequestOptions): Promise<ApiResponse>;
  /** Opens a watch (or any streaming GET) and returns its line reader once the headers arrived. */
  watch(path: string, options?: RequestOptions): Promise<WatchStream>;
  close(): void;
}

export interface WatchEvent {
  type: string;
  object: {
    kind?: string;
    apiVersion?: string;
    metadata?: {
      name?: string;
      namespace?: string;
      resourceVersion?: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    };
    [key: string]: unknown;
  };
}

export interface WatchStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every event received so far, in order. */
  events: WatchEvent[];
  /** Resolves when `predicate` holds for the events received so far; rejects at the deadline. */
  waitFor(
    predicate: (events: WatchEvent[]) => boolean,
    timeoutMs?: number,
    what?: string,
  ): Promise<WatchEvent[]>;
  /** Resolves once the server has ended the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function apiClient(kubeconfigPath: string): Promise<ApiClient> {
  const creds = await readKubeconfig(kubeconfigPath);
  const server = new URL(creds.server);
  // A keep-alive agent for the kubeconfig identity; requests with other credentials get their own connection.
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const watches = new Set<WatchStream>();

  function send(method: string, path: string, options: RequestOptions = {}) {
    let payload: Buffer | undefined;
    if (options.body !== undefined) {
      payload =
        typeof options.body === 'string'
          ? Buffer.from(options.body)
          : Buffer.isBuffer(options.body)
            ? options.body
            : Buffer.from(JSON.stringify(options.body));
    }
    const headers: Record<string, string | number> = { Accept: 'application/json', ...options.headers };
    if (payload) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
      headers['Content-Length'] = payload.length;
    }
    const cert = options.clientCert === undefined ? creds : options.clientCert;
    const req = httpsRequest({
      host: server.hostname,
      port: server.port,
      method,
      path,
      headers,
      ca: creds.caPem,
      ...(cert?.certPem && cert.keyPem ? { cert: cert.certPem, key: cert.keyPem } : {}),
      agent: options.clientCert === undefined ? agent : false,
    });
    return { req, payload };
  }

  async function request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const { req, payload } = send(method, path, options);
    return new Promise<ApiResponse>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          req.destroy(new Error(`${method} ${path}: no response within ${options.timeoutMs ?? 15_000} ms`)),
        options.timeoutMs ?? 15_000,
      );
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      });
      req.end(payload);
    });
  }

  async function watch(path: string, options: RequestOptions = {}): Promise<WatchStream> {
    const { req, payload } = send('GET', path, options);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      req.on('error', reject);
      req.on('response', resolve);
      req.end(payload);
    });
    const events: WatchEvent[] = [];
    const waiters = new Set<() => void>();
    let buffer = '';
    let closed = false;
    const ended = new Promise<void>((resolve) => {
      res.on('end', resolve);
      res.on('close', resolve);
      res.on('error', () => resolve());
    });
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line !== '') events.push(JSON.parse(line) as WatchEvent);
      }
      for (const w of [...waiters]) w();
    });
    void ended.then(() => {
      for (const w of [...waiters]) w();
    });

    const stream: WatchStream = {
      status: res.statusCode ?? 0,
      headers: res.headers,
      events,
      ended,
      waitFor(predicate, timeoutMs = 10_000, what = 'the expected watch events') {
        return new Promise<WatchEvent[]>((resolve, reject) => {
          const check = () => {
            if (predicate(events)) {
              cleanup();
              resolve(events);
            }
          };
          const timer = setTimeout(() => {
            cleanup();
            reject(
              new Error(
                `timed out after ${timeoutMs} ms waiting for ${what}; got ${events.length} events: ${events
                  .slice(-10)
                  .map(
                    (e) =>
                      `${e.type} ${e.object.metadata?.name ?? ''}@${e.object.metadata?.resourceVersion ?? ''}`,
                  )
                  .join(', ')}`,
              ),
            );
          }, timeoutMs);
          const cleanup = () => {
            clearTimeout(timer);
            waiters.delete(check);
          };
          waiters.add(check);
          check();
        });
      },
      close() {
        if (closed) return;
        closed = true;
        watches.delete(stream);
        req.destroy();
        res.destroy();
      },
    };
    watches.add(stream);
    return stream;
  }

  return {
    creds,
    request,
    get: (path, options) => request('GET', path, options),
    watch,
    close() {
      for (const w of [...watches]) w.close();
      agent.destroy();
    },
  };
}

/** Reads the `Status` fields of an error response, failing clearly when the body is not a Status. */
export function statusOf(res: ApiResponse): StatusBody {
  const body = res.json as StatusBody | undefined;
  if (!body || body.kind !== 'Status') {
    throw new Error(`expected a Status body with HTTP ${res.status}, got: ${res.text.slice(0, 500)}`);
  }
  return body;
}
