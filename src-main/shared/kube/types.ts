// The Kubernetes API client contract shared by the controllers, the scheduler, the agent and the UI.
// The logic (REST calls, list+watch, caches) is pure TypeScript over a Transport; each runtime brings
// its transport: Node https with client certificates or tokens (`../node/https-transport.ts`), the
// browser's fetch in the renderer, or an in-process fake in unit tests.
import type { ResourceInfo } from '../resources';
import type { Status } from '../status';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface KubeRequest {
  method: HttpMethod;
  /** Absolute API path, e.g. `/api/v1/namespaces/default/pods`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Serialized as JSON. */
  body?: unknown;
  /** Defaults to application/json; patches use their patch media type. */
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
}

export interface KubeResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON body (undefined when empty). */
  body: unknown;
}

export interface Transport {
  request(req: KubeRequest): Promise<KubeResponse>;
  /**
   * Opens a streaming GET (watch, log follow) and calls `onLine` with each newline-delimited chunk
   * parsed as JSON (`raw` true: the text line as is). Resolves when the server ends the stream or the
   * signal aborts; rejects on transport errors or a non-2xx status (with a KubeApiError).
   */
  stream(req: KubeRequest, onLine: (line: unknown) => void, options?: { raw?: boolean }): Promise<void>;
}

/** The error every client call rejects with for a non-2xx answer: the server's Status, as data. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: Status,
  ) {
    super(status.message ?? `HTTP ${code}`);
    this.name = 'KubeApiError';
  }
  get reason(): string | undefined {
    return this.status.reason;
  }
}

export function isKubeApiError(err: unknown, code?: number): err is KubeApiError {
  return err instanceof KubeApiError && (code === undefined || err.code === code);
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

export interface ObjectMetaLike {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface KubeObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMetaLike;
  [field: string]: unknown;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchOptions extends ListOptions {
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface ListResult<T> {
  items: T[];
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
}

export type PatchType = 'merge' | 'strategic' | 'json';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** What `start*` functions return: a handle that stops what they started. */
export interface Stoppable {
  stop(): void;
}

/** The typed REST client (implemented in client.ts). Every call rejects with KubeApiError on non-2xx. */
export interface KubeApi {
  get<T extends KubeObjectLike>(r: ResourceInfo, name: string, namespace?: string): Promise<T>;
  list<T extends KubeObjectLike>(r: ResourceInfo, options?: ListOptions): Promise<ListResult<T>>;
  create<T extends KubeObjectLike>(r: ResourceInfo, obj: T, namespace?: string): Promise<T>;
  update<T extends KubeObjectLike>(r: ResourceInfo, obj: T): Promise<T>;
  updateStatus<T extends KubeObjectLike>(r: ResourceInfo, obj: T): Promise<T>;
  patch<T extends KubeObjectLike>(
    r: ResourceInfo,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    type?: PatchType,
    subresource?: 'status' | 'scale' | 'approval',
  ): Promise<T>;
  delete(r: ResourceInfo, name: string, namespace?: string, options?: DeleteOptions): Promise<void>;
  /** POST to a subresource (`binding`, `eviction`). */
  createSubresource(
    r: ResourceInfo,
    name: string,
    namespace: string | undefined,
    subresource: string,
    body: unknown,
  ): Promise<unknown>;
  /** Streams watch events until the server ends the watch or the signal aborts. */
  watch<T extends KubeObjectLike>(
    r: ResourceInfo,
    options: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<void>;
}

// ------------------------------------------------------------------------------------------ informers

export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

/** Read access to an informer's cache. Returned objects are shared: never mutate them. */
export interface Lister<T> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): T[];
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * List, then watch from the list's resourceVersion; relist on 410 Gone or a dropped watch (with
 * backoff); fold events into the cache with a pure function that ignores stale ones.
 * Implemented by `createInformer(api, resource, options)` in informer.ts.
 */
export interface Informer<T> extends Stoppable {
  readonly lister: Lister<T>;
  addHandlers(handlers: InformerHandlers<T>): void;
  /** Starts list+watch; resolves once the first list is in the cache. */
  start(): Promise<void>;
  hasSynced(): boolean;
}

/** Records what a component did as core/v1 Events (aggregated: a repeat bumps count and lastTimestamp). */
export interface EventRecorder {
  event(involved: KubeObjectLike, type: 'Normal' | 'Warning', reason: string, message: string): void;
}
