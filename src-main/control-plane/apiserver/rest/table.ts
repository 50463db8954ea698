// Server-side printing: `meta.k8s.io/v1 Table` responses, so `kubectl get` shows the same columns
// it shows for a real cluster, and PartialObjectMetadata for clients that want metadata only.
import type { ResourceInfo } from '../../../shared/resources';
import type { KindStrategy, KubeObject } from '../kinds/types';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function includeObjectOf(query: URLSearchParams): IncludeObject {
  const v = query.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

export function partialMetadata(obj: KubeObject): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
}

export function columnDefinitions(strategy: KindStrategy) {
  return strategy.columns.map((c, i) => ({
    name: c.name,
    type: c.type,
    format: c.format ?? (i === 0 && c.name === 'Name' ? 'name' : ''),
    description: c.description ?? '',
    priority: c.priority ?? 0,
  }));
}

function rowObject(obj: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return partialMetadata(obj);
}

export function tableRow(strategy: KindStrategy, obj: KubeObject, include: IncludeObject, now: Date) {
  const object = rowObject(obj, include);
  return { cells: strategy.row(obj, now), ...(object !== undefined ? { object } : {}) };
}

export function table(
  strategy: KindStrategy,
  objects: KubeObject[],
  include: IncludeObject,
  now: Date,
  listMeta: Record<string, unknown>,
  withColumns = true,
) {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    ...(withColumns ? { columnDefinitions: columnDefinitions(strategy) } : { columnDefinitions: null }),
    rows: objects.map((o) => tableRow(strategy, o, include, now)),
  };
}

export function listKindOf(r: ResourceInfo): string {
  return r.listKind;
}
