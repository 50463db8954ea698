// The kinds Flotilla serves: the one list that discovery, the REST routes, the typed client and the UI
// all derive their paths from. Adding a kind starts here (and with a strategy in apiserver/kinds/).

export type Subresource =
  'status' | 'scale' | 'binding' | 'log' | 'exec' | 'eviction' | 'attach' | 'portforward' | 'approval';

export interface ResourceInfo {
  group: string; // '' for the core group
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources?: Subresource[];
}

function kind(
  group: string,
  version: string,
  kindName: string,
  plural: string,
  namespaced: boolean,
  extra: Pick<ResourceInfo, 'shortNames' | 'categories' | 'subresources'> = {},
): ResourceInfo {
  return {
    group,
    version,
    kind: kindName,
    listKind: `${kindName}List`,
    plural,
    singular: kindName.toLowerCase(),
    namespaced,
    ...extra,
  };
}

export const RESOURCES: readonly ResourceInfo[] = [
  kind('', 'v1', 'Namespace', 'namespaces', false, { shortNames: ['ns'], subresources: ['status'] }),
  kind('', 'v1', 'Node', 'nodes', false, { shortNames: ['no'], subresources: ['status'] }),
  kind('', 'v1', 'Pod', 'pods', true, {
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['status', 'binding', 'log', 'exec', 'eviction', 'attach', 'portforward'],
  }),
  kind('', 'v1', 'Service', 'services', true, {
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status'],
  }),
  kind('', 'v1', 'Endpoints', 'endpoints', true, { shortNames: ['ep'] }),
  kind('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  kind('', 'v1', 'Secret', 'secrets', true),
  kind('', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }),
  kind('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'] }),
  kind('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true),
  kind('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  kind('apps', 'v1', 'ReplicaSet', 'replicasets', true, {
    shortNames: ['rs'],
    categories: ['all'],
    subresources: ['status', 'scale'],
  }),
  kind('apps', 'v1', 'Deployment', 'deployments', true, {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['status', 'scale'],
  }),
  kind('apps', 'v1', 'DaemonSet', 'daemonsets', true, {
    shortNames: ['ds'],
    categories: ['all'],
    subresources: ['status'],
  }),
  // Node credentials: an agent with a bootstrap token asks for its client certificate (TLS bootstrapping).
  kind('certificates.k8s.io', 'v1', 'CertificateSigningRequest', 'certificatesigningrequests', false, {
    shortNames: ['csr'],
    subresources: ['status', 'approval'],
  }),
  // Flotilla's own kind (shared/machine.ts): a computer to enroll as a node, and how to reach it.
  kind('flotilla.dev', 'v1', 'Machine', 'machines', false, {
    shortNames: ['mach'],
    subresources: ['status'],
  }),
];

export function apiVersionOf(r: Pick<ResourceInfo, 'group' | 'version'>): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** The URL prefix of a group/version: `/api/v1` or `/apis/apps/v1`. */
export function groupVersionPath(r: Pick<ResourceInfo, 'group' | 'version'>): string {
  return r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
}

/** The collection path of a resource, optionally in a namespace. */
export function collectionPath(r: ResourceInfo, namespace?: string): string {
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${groupVersionPath(r)}${ns}/${r.plural}`;
}

export function objectPath(r: ResourceInfo, name: string, namespace?: string): string {
  return `${collectionPath(r, namespace)}/${encodeURIComponent(name)}`;
}

export function findResourceByKind(apiVersion: string, kindName: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kindName);
}

/** A served resource by group and plural; throws for one that is not served (a programming error). */
export function resourceFor(group: string, plural: string): ResourceInfo {
  const r = RESOURCES.find((x) => x.group === group && x.plural === plural);
  if (!r) throw new Error(`resource ${plural}${group ? `.${group}` : ''} is not in shared/resources.ts`);
  return r;
}
