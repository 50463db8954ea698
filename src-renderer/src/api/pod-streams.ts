// Streams that are not list/watch: a container's log (a long GET read with the fetch body reader)
// and an exec session (a WebSocket that authenticates with the bearer-token subprotocol, since a
// browser WebSocket cannot send an Authorization header). Views get handles that stop them.
import { KubeApiError } from '../../../src-main/shared/kube/types';
import { toStatus } from './transport';
import { readSession } from './session';
import { execPath, execSubprotocols } from './exec-frames';

export interface LogRequest {
  namespace: string;
  pod: string;
  container: string;
  follow: boolean;
  previous?: boolean;
  tailLines?: number;
  timestamps?: boolean;
}

export interface LogStream {
  /** Resolves when the server ends the stream (or it is stopped); rejects with a KubeApiError. */
  readonly done: Promise<void>;
  stop(): void;
}

export interface StreamDeps {
  fetch?: typeof fetch;
  token?: () => string | undefined;
  baseUrl?: string;
}

export function logPath(r: LogRequest): string {
  const q = new URLSearchParams({ container: r.container });
  if (r.follow) q.set('follow', 'true');
  if (r.previous) q.set('previous', 'true');
  if (r.tailLines !== undefined && r.tailLines >= 0) q.set('tailLines', String(r.tailLines));
  if (r.timestamps) q.set('timestamps', 'true');
  return `/api/v1/namespaces/${encodeURIComponent(r.namespace)}/pods/${encodeURIComponent(r.pod)}/log?${q}`;
}

/** Opens a log stream; `onText` gets decoded text chunks as they arrive (not split into lines). */
export function streamPodLog(
  r: LogRequest,
  onText: (text: string) => void,
  deps: StreamDeps = {},
): LogStream {
  const doFetch = deps.fetch ?? globalThis.fetch.bind(globalThis);
  const token = (deps.token ?? (() => readSession()?.token))();
  const abort = new AbortController();
  const done = (async () => {
    let res: Response;
    try {
      res = await doFetch(`${deps.baseUrl ?? ''}${logPath(r)}`, {
        headers: { Accept: 'text/plain', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        signal: abort.signal,
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (err) {
      if (abort.signal.aborted) return;
      throw err;
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // plain text
      }
      throw new KubeApiError(res.status, toStatus(res.status, body, `HTTP ${res.status}`));
    }
    if (!res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done: end, value } = await reader.read();
        if (end) break;
        const text = decoder.decode(value, { stream: true });
        if (text) onText(text);
      }
      const rest = decoder.decode();
      if (rest) onText(rest);
    } catch (err) {
      if (abort.signal.aborted) return;
      throw err;
    } finally {
      reader.releaseLock();
    }
  })();
  done.catch(() => undefined);
  return { done, stop: () => abort.abort() };
}

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command?: string[];
  tty?: boolean;
}

/** Opens the exec WebSocket (binary frames, see exec-frames.ts). */
export function openExecSocket(
  r: ExecRequest,
  deps: { token?: () => string | undefined; WebSocket?: typeof WebSocket; location?: Location } = {},
): WebSocket {
  const loc = deps.location ?? window.location;
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = (deps.token ?? (() => readSession()?.token))();
  const Socket = deps.WebSocket ?? WebSocket;
  const ws = new Socket(
    `${scheme}//${loc.host}${execPath(r.namespace, r.pod, r.container, r.command ?? ['sh'], r.tty ?? true)}`,
    execSubprotocols(token),
  );
  ws.binaryType = 'arraybuffer';
  return ws;
}
