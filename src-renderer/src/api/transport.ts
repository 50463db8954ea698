// The browser's way to the API server: fetch with a bearer token, and streaming watches read line by
// line from `response.body`. The only module in the renderer that knows how requests travel.
import type { KubeRequest, KubeResponse, Transport } from '../../../src-main/shared/kube/types';
import { KubeApiError } from '../../../src-main/shared/kube/types';
import type { Status } from '../../../src-main/shared/status';
import { isStatus } from '../../../src-main/shared/status';

export interface FetchTransportOptions {
  /** Origin of the API server; '' means the page's own origin (the UI served under /ui/). */
  baseUrl?: string;
  /** The current bearer token, read on every request so a new login takes effect at once. */
  token: () => string | undefined;
  /** Told about every 401, so the app can send the person back to the login page. */
  onUnauthorized?: () => void;
  fetch?: typeof fetch;
}

export function buildUrl(baseUrl: string, req: Pick<KubeRequest, 'path' | 'query'>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(req.query ?? {})) {
    if (value !== undefined) params.append(key, String(value));
  }
  const qs = params.toString();
  return `${baseUrl}${req.path}${qs ? `?${qs}` : ''}`;
}

/** A Status for answers that did not carry one (a proxy's HTML error page, an empty body). */
export function toStatus(code: number, body: unknown, fallback: string): Status {
  if (isStatus(body)) return body;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    code,
    message: typeof body === 'string' && body ? body.slice(0, 500) : fallback,
  };
}

export function createFetchTransport(options: FetchTransportOptions): Transport {
  const baseUrl = options.baseUrl ?? '';
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);

  const headersFor = (req: KubeRequest): Record<string, string> => {
    const headers: Record<string, string> = { Accept: req.accept ?? 'application/json' };
    const token = options.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (req.body !== undefined) headers['Content-Type'] = req.contentType ?? 'application/json';
    return headers;
  };

  const send = async (req: KubeRequest): Promise<Response> => {
    const res = await doFetch(buildUrl(baseUrl, req), {
      method: req.method,
      headers: headersFor(req),
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      signal: req.signal ?? null,
      credentials: 'omit',
      cache: 'no-store',
    });
    if (res.status === 401) options.onUnauthorized?.();
    return res;
  };

  return {
    async request(req) {
      const res = await send(req);
      const text = await res.text();
      let body: unknown;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      const headers: Record<string, string> = {};
      res.headers.forEach((value, key) => (headers[key] = value));
      const out: KubeResponse = { status: res.status, headers, body };
      return out;
    },

    async stream(req, onLine, streamOptions) {
      let res: Response;
      try {
        res = await send(req);
      } catch (err) {
        if (req.signal?.aborted) return;
        throw err;
      }
      if (res.status < 200 || res.status > 299) {
        const text = await res.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // keep the text
        }
        throw new KubeApiError(res.status, toStatus(res.status, body, `HTTP ${res.status}`));
      }
      if (!res.body) return;
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffered = '';
      const emit = (line: string) => {
        if (!line.trim()) return;
        onLine(streamOptions?.raw ? line : JSON.parse(line));
      };
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffered += decoder.decode(value, { stream: true });
          let nl = buffered.indexOf('\n');
          while (nl >= 0) {
            emit(buffered.slice(0, nl));
            buffered = buffered.slice(nl + 1);
            nl = buffered.indexOf('\n');
          }
        }
        buffered += decoder.decode();
        emit(buffered);
      } catch (err) {
        // An abort is how callers stop a watch: that is an ordinary end, not a failure.
        if (req.signal?.aborted) return;
        throw err;
      } finally {
        reader.releaseLock();
      }
    },
  };
}
