// Discovery documents, all derived from the one RESOURCES list: legacy (/api, /apis, /api/v1 …) and
// the aggregated form kubectl 1.30+ asks for first (one request for every group).
import { apiVersionOf } from '../../shared/resources';
import type { ResourceInfo, Subresource } from '../../shared/resources';

const MAIN_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const SUBRESOURCE_VERBS: Record<Subresource, string[]> = {
  status: ['get', 'patch', 'update'],
  scale: ['get', 'patch', 'update'],
  binding: ['create'],
  log: ['get'],
  exec: ['create', 'get'],
  eviction: ['create'],
  attach: ['create', 'get'],
  portforward: ['create', 'get'],
  approval: ['get', 'patch', 'update'],
};

function subresourceKind(
  r: ResourceInfo,
  sub: Subresource,
): { group: string; version: string; kind: string } {
  if (sub === 'scale') return { group: 'autoscaling', version: 'v1', kind: 'Scale' };
  if (sub === 'binding') return { group: '', version: 'v1', kind: 'Binding' };
  if (sub === 'eviction') return { group: 'policy', version: 'v1', kind: 'Eviction' };
  if (sub === 'log' || sub === 'exec' || sub === 'attach' || sub === 'portforward') {
    return {
      group: '',
      version: 'v1',
      kind: sub === 'log' ? 'Pod' : `Pod${sub[0]!.toUpperCase()}${sub.slice(1)}Options`,
    };
  }
  return { group: r.group, version: r.version, kind: r.kind };
}

export interface GroupVersion {
  group: string;
  version: string;
  resources: ResourceInfo[];
}

export function groupVersions(resources: readonly ResourceInfo[]): GroupVersion[] {
  const map = new Map<string, GroupVersion>();
  for (const r of resources) {
    const key = apiVersionOf(r);
    let gv = map.get(key);
    if (!gv) map.set(key, (gv = { group: r.group, version: r.version, resources: [] }));
    gv.resources.push(r);
  }
  return [...map.values()];
}

export function apiVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(gvs: GroupVersion[]) {
  const versions = gvs.map((gv) => ({ groupVersion: `${gv.group}/${gv.version}`, version: gv.version }));
  return { name: gvs[0]!.group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(resources: readonly ResourceInfo[]) {
  const byGroup = new Map<string, GroupVersion[]>();
  for (const gv of groupVersions(resources)) {
    if (gv.group === '') continue;
    byGroup.set(gv.group, [...(byGroup.get(gv.group) ?? []), gv]);
  }
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...byGroup.values()].map(apiGroup) };
}

export function apiGroupDocument(resources: readonly ResourceInfo[], group: string) {
  const gvs = groupVersions(resources).filter((gv) => gv.group === group);
  return gvs.length === 0 ? undefined : { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(gvs) };
}

export function apiResourceList(resources: readonly ResourceInfo[], group: string, version: string) {
  const gv = groupVersions(resources).find((x) => x.group === group && x.version === version);
  if (!gv) return undefined;
  const list: Record<string, unknown>[] = [];
  for (const r of gv.resources) {
    list.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: MAIN_VERBS,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
    });
    for (const sub of r.subresources ?? []) {
      const k = subresourceKind(r, sub);
      list.push({
        name: `${r.plural}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(k.group !== r.group || k.version !== r.version ? { group: k.group, version: k.version } : {}),
        kind: k.kind,
        verbs: SUBRESOURCE_VERBS[sub],
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(gv), resources: list };
}

export const AGGREGATED_DISCOVERY_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const AGGREGATED_DISCOVERY_V2BETA1 =
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

/** Which aggregated discovery version the client accepts, if any. */
export function wantsAggregated(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined;
  for (const clause of accept.split(',')) {
    const params = clause.split(';').map((p) => p.trim());
    if (params[0] !== 'application/json') continue;
    if (!params.includes('g=apidiscovery.k8s.io') || !params.includes('as=APIGroupDiscoveryList')) continue;
    if (params.includes('v=v2')) return 'v2';
    if (params.includes('v=v2beta1')) return 'v2beta1';
  }
  return undefined;
}

/** Aggregated discovery for the core group (`/api`, legacy = true) or the named groups (`/apis`). */
export function aggregatedDiscovery(
  resources: readonly ResourceInfo[],
  legacy: boolean,
  version: 'v2' | 'v2beta1',
) {
  const byGroup = new Map<string, GroupVersion[]>();
  for (const gv of groupVersions(resources)) {
    if ((gv.group === '') !== legacy) continue;
    byGroup.set(gv.group, [...(byGroup.get(gv.group) ?? []), gv]);
  }
  const items = [...byGroup.entries()].map(([group, gvs]) => ({
    metadata: { name: group },
    versions: gvs.map((gv) => ({
      version: gv.version,
      freshness: 'Current',
      resources: gv.resources.map((r) => ({
        resource: r.plural,
        responseKind: { group: r.group, version: r.version, kind: r.kind },
        scope: r.namespaced ? 'Namespaced' : 'Cluster',
        singularResource: r.singular,
        verbs: MAIN_VERBS,
        ...(r.shortNames ? { shortNames: r.shortNames } : {}),
        ...(r.categories ? { categories: r.categories } : {}),
        ...(r.subresources
          ? {
              subresources: r.subresources.map((sub) => ({
                subresource: sub,
                responseKind: subresourceKind(r, sub),
                verbs: SUBRESOURCE_VERBS[sub],
              })),
            }
          : {}),
      })),
    })),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}
