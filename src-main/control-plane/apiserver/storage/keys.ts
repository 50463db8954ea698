// Where objects live in the store: /registry/<group>/<resource>/<namespace>/<name>, the core group
// spelled `core`. One global watch on /registry/ sees every write, so the caches know exactly
// which revision they reflect.
import type { ResourceInfo } from '../../../shared/resources';

export const REGISTRY_PREFIX = '/registry/';

export function resourcePrefix(r: Pick<ResourceInfo, 'group' | 'plural'>): string {
  return `${REGISTRY_PREFIX}${r.group || 'core'}/${r.plural}/`;
}

export function collectionPrefix(r: ResourceInfo, namespace?: string): string {
  return r.namespaced && namespace ? `${resourcePrefix(r)}${namespace}/` : resourcePrefix(r);
}

export function objectKey(r: ResourceInfo, name: string, namespace?: string): string {
  return r.namespaced ? `${resourcePrefix(r)}${namespace ?? ''}/${name}` : `${resourcePrefix(r)}${name}`;
}
