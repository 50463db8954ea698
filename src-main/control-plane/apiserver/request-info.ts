// Turns a request's method and URL into what it is about (the Kubernetes RequestInfo): which verb,
// group, version, namespace, resource, name and subresource. Everything after this works on that.

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceRequest {
  kind: 'resource';
  verb: Verb;
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  query: URLSearchParams;
  path: string;
}

export interface NonResourceRequest {
  kind: 'nonResource';
  verb: string;
  path: string;
  query: URLSearchParams;
}

export type RequestInfo = ResourceRequest | NonResourceRequest;

// Subresources of a namespace that live under /namespaces/{name}/… rather than naming a resource in it.
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function isTrue(value: string | null): boolean {
  return value === 'true' || value === '1';
}

export function parseRequest(method: string, rawUrl: string): RequestInfo {
  const url = new URL(rawUrl, 'https://flotilla.invalid');
  const path = url.pathname;
  const query = url.searchParams;
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);

  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return { kind: 'nonResource', verb: method.toLowerCase(), path, query };
  }

  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  const resource = rest[0]!;
  const name = rest[1];
  const subresource = rest.length > 2 ? rest.slice(2).join('/') : undefined;
  // For the namespaces resource itself, the "namespace" parsed above is the object's name.
  if (resource === 'namespaces') namespace = undefined;

  let verb: Verb;
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = name === undefined ? (isTrue(query.get('watch')) ? 'watch' : 'list') : 'get';
      if (name !== undefined && isTrue(query.get('watch'))) verb = 'watch';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name === undefined ? 'deletecollection' : 'delete';
      break;
    default:
      return { kind: 'nonResource', verb: method.toLowerCase(), path, query };
  }
  return {
    kind: 'resource',
    verb,
    group,
    version,
    ...(namespace !== undefined ? { namespace } : {}),
    resource,
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
    query,
    path,
  };
}
