// The typed REST client over a Transport: paths come from shared/resources, every non-2xx answer
// becomes a KubeApiError carrying the server's Status. No runtime-specific code lives here.
import { apiVersionOf, collectionPath, objectPath } from '../resources';
import type { ResourceInfo } from '../resources';
import { isStatus } from '../status';
import type { Status, StatusReason } from '../status';
import { KubeApiError } from './types';
import type {
  DeleteOptions,
  KubeApi,
  KubeObjectLike,
  KubeRequest,
  KubeResponse,
  ListOptions,
  ListResult,
  PatchType,
  Transport,
  WatchEvent,
  WatchOptions,
} from './types';

export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

const REASON_BY_CODE: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Gone',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** A Status for an answer that did not carry one (a proxy's HTML page, an empty body). */
export function statusForCode(code: number, message?: string): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: message ?? `the server responded with HTTP ${code}`,
    ...(REASON_BY_CODE[code] ? { reason: REASON_BY_CODE[code] } : {}),
    code,
  };
}

/** Turns a non-2xx response into the KubeApiError every call rejects with. */
export function errorFromResponse(res: KubeResponse): KubeApiError {
  const status = isStatus(res.body)
    ? res.body
    : statusForCode(res.status, typeof res.body === 'string' && res.body ? res.body : undefined);
  return new KubeApiError(res.status, status);
}

function listQuery(options: ListOptions | undefined): Record<string, string | number | boolean | undefined> {
  if (!options) return {};
  return {
    labelSelector: options.labelSelector || undefined,
    fieldSelector: options.fieldSelector || undefined,
    limit: options.limit,
    continue: options.continue || undefined,
    resourceVersion: options.resourceVersion,
  };
}

function namespaceOf(obj: KubeObjectLike, namespace?: string): string | undefined {
  return namespace ?? obj.metadata?.namespace;
}

function nameOf(obj: KubeObjectLike): string {
  const name = obj.metadata?.name;
  if (!name) throw new KubeApiError(400, statusForCode(400, 'the object has no metadata.name'));
  return name;
}

export function createKubeApi(transport: Transport): KubeApi {
  async function call<T>(req: KubeRequest): Promise<T> {
    const res = await transport.request(req);
    if (res.status < 200 || res.status > 299) throw errorFromResponse(res);
    return res.body as T;
  }

  function withTypeMeta<T extends KubeObjectLike>(r: ResourceInfo, obj: T): T {
    // The server requires apiVersion/kind on writes; callers often build bare objects.
    return { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(r), kind: obj.kind ?? r.kind };
  }

  return {
    get(r, name, namespace) {
      return call({ method: 'GET', path: objectPath(r, name, namespace) });
    },

    async list<T extends KubeObjectLike>(r: ResourceInfo, options?: ListOptions) {
      const body = await call<{ items?: T[] | null; metadata?: ListResult<T>['metadata'] }>({
        method: 'GET',
        path: collectionPath(r, options?.namespace),
        query: listQuery(options),
      });
      return { items: body.items ?? [], metadata: { resourceVersion: '', ...body.metadata } };
    },

    create(r, obj, namespace) {
      return call({
        method: 'POST',
        path: collectionPath(r, namespaceOf(obj, namespace)),
        body: withTypeMeta(r, obj),
      });
    },

    update(r, obj) {
      return call({
        method: 'PUT',
        path: objectPath(r, nameOf(obj), obj.metadata?.namespace),
        body: withTypeMeta(r, obj),
      });
    },

    updateStatus(r, obj) {
      return call({
        method: 'PUT',
        path: `${objectPath(r, nameOf(obj), obj.metadata?.namespace)}/status`,
        body: withTypeMeta(r, obj),
      });
    },

    patch(r, name, namespace, patch, type = 'merge', subresource) {
      const path = objectPath(r, name, namespace) + (subresource ? `/${subresource}` : '');
      return call({ method: 'PATCH', path, body: patch, contentType: PATCH_CONTENT_TYPES[type] });
    },

    async delete(r, name, namespace, options?: DeleteOptions) {
      await call({
        method: 'DELETE',
        path: objectPath(r, name, namespace),
        ...(options ? { body: { kind: 'DeleteOptions', apiVersion: 'v1', ...options } } : {}),
      });
    },

    createSubresource(r, name, namespace, subresource, body) {
      return call({ method: 'POST', path: `${objectPath(r, name, namespace)}/${subresource}`, body });
    },

    watch<T extends KubeObjectLike>(
      r: ResourceInfo,
      options: WatchOptions,
      onEvent: (event: WatchEvent<T>) => void,
    ) {
      return transport.stream(
        {
          method: 'GET',
          path: collectionPath(r, options.namespace),
          query: {
            ...listQuery({ ...options, limit: undefined, continue: undefined }),
            watch: true,
            allowWatchBookmarks: options.allowWatchBookmarks || undefined,
            timeoutSeconds: options.timeoutSeconds,
          },
          signal: options.signal,
        },
        (line) => {
          if (line && typeof line === 'object' && 'type' in line) onEvent(line as WatchEvent<T>);
        },
      );
    },
  };
}

/** Builds the query string of a request (shared by transports). */
export function encodeQuery(query: KubeRequest['query']): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}
