// The ownership graph the garbage collector works from (garbagecollector's GraphBuilder, reduced to
// what the decisions need): who depends on an owner uid, and which object a uid is. Fed from every
// informer's events; pure bookkeeping, no I/O.
import type { OwnerReference } from '../../../shared/kube/objects';
import type { KubeObjectLike } from '../../../shared/kube/types';
import type { ResourceInfo } from '../../../shared/resources';

/** `group/plural|namespace/name` (or `group/plural|name`): an object's identity across all kinds. */
export type Identity = string;

export function resourceKey(r: Pick<ResourceInfo, 'group' | 'plural'>): string {
  return `${r.group}/${r.plural}`;
}

export function identityOf(r: Pick<ResourceInfo, 'group' | 'plural'>, obj: KubeObjectLike): Identity {
  const ns = obj.metadata?.namespace;
  return `${resourceKey(r)}|${ns ? `${ns}/` : ''}${obj.metadata?.name ?? ''}`;
}

export function parseIdentity(id: Identity): { resource: string; namespace?: string; name: string } {
  const bar = id.indexOf('|');
  const rest = id.slice(bar + 1);
  const slash = rest.indexOf('/');
  return slash < 0
    ? { resource: id.slice(0, bar), name: rest }
    : { resource: id.slice(0, bar), namespace: rest.slice(0, slash), name: rest.slice(slash + 1) };
}

export function ownerRefsOf(obj: KubeObjectLike): OwnerReference[] {
  return ((obj.metadata as { ownerReferences?: OwnerReference[] } | undefined)?.ownerReferences ?? []).filter(
    (r) => r && r.uid,
  );
}

export class OwnershipGraph {
  private readonly dependents = new Map<string, Set<Identity>>();
  private readonly ownersOf = new Map<Identity, string[]>();
  private readonly byUid = new Map<string, Identity>();

  /** Records the object's current owner references (replacing what was known). */
  upsert(id: Identity, obj: KubeObjectLike): { removedOwnerUids: string[] } {
    const uid = obj.metadata?.uid;
    if (uid) this.byUid.set(uid, id);
    const before = this.ownersOf.get(id) ?? [];
    const after = ownerRefsOf(obj).map((r) => r.uid);
    for (const o of before) if (!after.includes(o)) this.unlink(o, id);
    for (const o of after) {
      let set = this.dependents.get(o);
      if (!set) this.dependents.set(o, (set = new Set()));
      set.add(id);
    }
    if (after.length > 0) this.ownersOf.set(id, after);
    else this.ownersOf.delete(id);
    return { removedOwnerUids: before.filter((o) => !after.includes(o)) };
  }

  remove(id: Identity, obj: KubeObjectLike): { ownerUids: string[] } {
    const uid = obj.metadata?.uid;
    if (uid && this.byUid.get(uid) === id) this.byUid.delete(uid);
    const owners = this.ownersOf.get(id) ?? [];
    for (const o of owners) this.unlink(o, id);
    this.ownersOf.delete(id);
    return { ownerUids: owners };
  }

  dependentsOf(uid: string | undefined): Identity[] {
    return uid ? [...(this.dependents.get(uid) ?? [])] : [];
  }

  hasDependents(uid: string | undefined): boolean {
    return Boolean(uid && (this.dependents.get(uid)?.size ?? 0) > 0);
  }

  identityOfUid(uid: string): Identity | undefined {
    return this.byUid.get(uid);
  }

  private unlink(ownerUid: string, id: Identity): void {
    const set = this.dependents.get(ownerUid);
    if (!set) return;
    set.delete(id);
    if (set.size === 0) this.dependents.delete(ownerUid);
  }
}
