// Least privilege for node agents: Kubernetes' Node authorizer and NodeRestriction admission, in
// spirit. A request from `system:node:NAME` (group system:nodes) may:
//   read (get/list/watch)  nodes, pods, services, endpoints, endpointslices, configmaps, secrets,
//                          namespaces — cluster-wide. ConfigMaps and Secrets are NOT yet limited to
//                          those referenced by pods bound to the node: the agent reads them through
//                          informers (list/watch), which a per-object graph cannot authorize. Tightening
//                          this means the agent watching single objects by name (fieldSelector
//                          metadata.name=…) and this rule checking the pod→object graph.
//   its own Node           create (name checked at admission: the name is in the body), get, update,
//                          patch (main and status), delete — never another node's;
//   its own Lease          get/create/update/patch/delete `kube-node-lease/NAME` (create checked at
//                          admission as well);
//   pods bound to it       update/patch of `pods/status` and delete, for pods whose spec.nodeName is NAME
//                          (looked up in the watch cache when the request arrives);
//   Events                 create/update/patch (core and events.k8s.io), in any namespace.
// Everything else is denied with a reason naming the node. Users outside system:nodes are left to
// the other rules (no opinion).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ResourceInfo } from '../../../shared/resources';
import { errors } from '../errors';
import type { RestHooks } from '../rest/context';
import { resourcePrefix } from '../storage/keys';
import type { WatchCache } from '../storage/watch-cache';
import type { AuthorizerRule, Decision, RequestAttributes } from './authorizer';
import type { UserInfo } from './user';
import { GROUP_NODES, NODE_USER_PREFIX } from './user';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** The little of a pod the rule needs. */
export interface BoundPod {
  spec?: { nodeName?: string };
}

export interface NodeAuthorizerOptions {
  /** The pod `namespace/name` as the API server sees it now (its watch cache), or undefined. */
  getPod(namespace: string, name: string): BoundPod | undefined;
}

const READ_VERBS = new Set(['get', 'list', 'watch']);
const READABLE: ReadonlySet<string> = new Set([
  '/nodes',
  '/pods',
  '/services',
  '/endpoints',
  'discovery.k8s.io/endpointslices',
  '/configmaps',
  '/secrets',
  '/namespaces',
]);
const EVENT_VERBS = new Set(['create', 'update', 'patch']);
const OWN_NODE_VERBS = new Set(['get', 'update', 'patch', 'delete']);
const LEASE_VERBS = new Set(['get', 'create', 'update', 'patch', 'delete']);

/** NAME when the user is a node agent (`system:node:NAME` in system:nodes), else undefined. */
export function nodeNameOf(user: Pick<UserInfo, 'name' | 'groups'>): string | undefined {
  if (!user.groups.includes(GROUP_NODES) || !user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  const name = user.name.slice(NODE_USER_PREFIX.length);
  return name || undefined;
}

export function createNodeAuthorizerRule(options: NodeAuthorizerOptions): AuthorizerRule {
  return (user, attrs) => {
    if (!user.groups.includes(GROUP_NODES)) return undefined;
    const node = nodeNameOf(user);
    if (!node)
      return deny(`user ${JSON.stringify(user.name)} is in ${GROUP_NODES} but is not named system:node:NAME`);
    // Non-resource requests (discovery, /version) are for the other rules.
    if (!attrs.resource) return undefined;
    return decide(node, attrs, options);
  };
}

function decide(node: string, attrs: RequestAttributes, options: NodeAuthorizerOptions): Decision {
  const { verb, subresource, name, namespace } = attrs;
  const resource = `${attrs.group ?? ''}/${attrs.resource}`;

  if (resource === '/events' || resource === 'events.k8s.io/events') {
    return subresource === undefined && EVENT_VERBS.has(verb)
      ? allow('nodes record events')
      : deny(`node "${node}" may only create, update and patch events`);
  }

  if (resource === '/nodes') {
    if (subresource !== undefined && subresource !== 'status')
      return deny(`node "${node}" may not use nodes/${subresource}`);
    if (READ_VERBS.has(verb) && (subresource === undefined || verb === 'get'))
      return allow('nodes read nodes');
    // Creating a Node names it in the body: admission (admitNodeWrite) checks it is the node's own.
    if (subresource === undefined && verb === 'create') return allow('a node may register itself');
    if (!OWN_NODE_VERBS.has(verb) || (subresource === 'status' && verb === 'delete'))
      return deny(`node "${node}" may not ${verb} nodes${subresource ? `/${subresource}` : ''}`);
    return name === node
      ? allow(`node "${node}" may modify its own Node`)
      : deny(`node "${node}" may only modify its own Node object, not ${JSON.stringify(name ?? '')}`);
  }

  if (resource === 'coordination.k8s.io/leases') {
    if (namespace !== NODE_LEASE_NAMESPACE || subresource !== undefined || !LEASE_VERBS.has(verb))
      return deny(`node "${node}" may only use its own Lease in ${NODE_LEASE_NAMESPACE}`);
    if (verb === 'create') return allow('a node may create its own Lease (name checked at admission)');
    return name === node
      ? allow(`node "${node}" may use its own Lease`)
      : deny(`node "${node}" may only use its own Lease, not ${JSON.stringify(name ?? '')}`);
  }

  if (resource === '/pods' && subresource !== undefined) {
    const statusWrite = subresource === 'status' && (verb === 'update' || verb === 'patch');
    if (subresource === 'status' && verb === 'get') return allow('nodes read pods');
    if (!statusWrite) return deny(`node "${node}" may not ${verb} pods/${subresource}`);
    return boundPodDecision(node, attrs, options, 'update the status of');
  }
  if (resource === '/pods' && verb === 'delete') return boundPodDecision(node, attrs, options, 'delete');

  if (READABLE.has(resource) && subresource === undefined && READ_VERBS.has(verb))
    return allow(`nodes read ${attrs.resource}`);

  return deny(
    `node "${node}" may not ${verb} ${attrs.resource}${subresource ? `/${subresource}` : ''}: nodes may read what they need, write their own Node, Lease, bound pods' status and Events`,
  );
}

function boundPodDecision(
  node: string,
  attrs: RequestAttributes,
  options: NodeAuthorizerOptions,
  what: string,
): Decision {
  if (!attrs.namespace || !attrs.name) return deny(`node "${node}" may only ${what} one named pod at a time`);
  const pod = options.getPod(attrs.namespace, attrs.name);
  if (!pod) return deny(`no pod "${attrs.namespace}/${attrs.name}" is bound to node "${node}"`);
  const bound = pod.spec?.nodeName;
  return bound === node
    ? allow(`pod is bound to node "${node}"`)
    : deny(
        `node "${node}" may only ${what} pods bound to it; this pod is ${bound ? `bound to "${bound}"` : 'not bound to a node'}`,
      );
}

const allow = (reason: string): Decision => ({ allowed: true, reason });
const deny = (reason: string): Decision => ({ allowed: false, reason });

// ------------------------------------------------------------------------------------------ admission

/**
 * The user of the request being served, for admission checks that run deep in the REST handlers
 * (they receive the object, not the request). The server runs each request's handler inside
 * `requestUser.run(user, …)`.
 */
export const requestUser = new AsyncLocalStorage<UserInfo>();

/**
 * NodeRestriction for creates whose name is in the body: a node may create only the Node and the
 * kube-node-lease Lease named after itself. No opinion for other users or other kinds.
 */
export function admitNodeWrite(
  user: UserInfo | undefined,
  resource: { group: string; plural: string },
  obj: { metadata?: { name?: string } },
): void {
  const node = user ? nodeNameOf(user) : undefined;
  if (!node) return;
  const name = obj.metadata?.name;
  const kind =
    resource.group === '' && resource.plural === 'nodes'
      ? 'Node'
      : resource.group === 'coordination.k8s.io' && resource.plural === 'leases'
        ? 'Lease'
        : undefined;
  if (kind && name !== node) {
    throw errors.forbidden(
      `${resource.plural} ${JSON.stringify(name ?? '')} is forbidden: node "${node}" is not allowed to create a ${kind} named ${JSON.stringify(name ?? '')}, only its own`,
      {
        ...(resource.group ? { group: resource.group } : {}),
        kind: resource.plural,
        ...(name ? { name } : {}),
      },
    );
  }
}

/** Adds the NodeRestriction create check (for the user of `requestUser`) to a server's per-kind hooks. */
export function withNodeRestriction(
  hooks: (r: ResourceInfo) => RestHooks | undefined,
): (r: ResourceInfo) => RestHooks | undefined {
  return (r) => {
    const inner = hooks(r);
    const restricted =
      (r.group === '' && r.plural === 'nodes') ||
      (r.group === 'coordination.k8s.io' && r.plural === 'leases');
    if (!restricted) return inner;
    return {
      ...inner,
      admitCreate(obj) {
        admitNodeWrite(requestUser.getStore(), r, obj);
        inner?.admitCreate?.(obj);
      },
    };
  };
}

/** `getPod` over the API server's watch cache (late-bound: the cache exists once the server started). */
export function podsFromCache(cache: () => WatchCache | undefined): NodeAuthorizerOptions['getPod'] {
  const pods = { group: '', plural: 'pods' };
  return (namespace, name) =>
    cache()
      ?.cacheFor(pods)
      .get(`${resourcePrefix(pods)}${namespace}/${name}`)?.obj as BoundPod | undefined;
}
