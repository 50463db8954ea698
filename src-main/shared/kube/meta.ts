// Small helpers over object metadata used by every informer-driven component: cache keys, owner
// references, deep copies. Pure, no I/O.
import type { OwnerReference } from './objects';
import type { KubeObjectLike } from './types';

/** The cache and work-queue key of an object: `namespace/name`, or `name` for cluster-scoped ones. */
export function objectKey(obj: KubeObjectLike): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

export function keyOf(name: string, namespace?: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** Splits a key made by `objectKey` back into namespace and name. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** The owner reference with controller=true, if any (metav1.GetControllerOf). */
export function controllerOf(obj: KubeObjectLike): OwnerReference | undefined {
  const refs = (obj.metadata as { ownerReferences?: OwnerReference[] } | undefined)?.ownerReferences;
  return refs?.find((r) => r.controller === true);
}

/** A controller owner reference pointing at `owner` (metav1.NewControllerRef). */
export function newControllerRef(owner: KubeObjectLike, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Cached objects are shared between components: copy before changing anything. */
export function deepCopy<T>(value: T): T {
  return structuredClone(value);
}

/**
 * Compares two resourceVersions. Kubernetes calls them opaque, but every server Flotilla talks to
 * (its own store, etcd) issues increasing integers; anything else compares as "unknown" (undefined).
 */
export function compareResourceVersions(
  a: string | undefined,
  b: string | undefined,
): -1 | 0 | 1 | undefined {
  if (!a || !b || !/^[0-9]+$/.test(a) || !/^[0-9]+$/.test(b)) return undefined;
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Deep structural equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return (
    ak.length === bk.length &&
    ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonEqual(ao[k], bo[k]))
  );
}

/** JSON with object keys sorted: a stable text form for hashing. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}
