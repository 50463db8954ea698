// Claiming (pkg/controller ControllerRefManager): a controller owns the objects whose controller
// reference points at it. It adopts orphans that match its selector and releases owned objects that
// no longer match. Both are JSON patches guarded by `test` ops, so a change made meanwhile by someone
// else makes the patch fail instead of being overwritten; the next sync sees fresh state and retries.
import type { Logger } from '../../../platform/logger';
import { matchesLabels } from '../../../shared/labels';
import type { LabelSelector } from '../../../shared/labels';
import { controllerOf, newControllerRef } from '../../../shared/kube/meta';
import type { ObjectMeta } from '../../../shared/kube/objects';
import { isKubeApiError } from '../../../shared/kube/types';
import type { KubeApi, KubeObjectLike } from '../../../shared/kube/types';
import type { ResourceInfo } from '../../../shared/resources';

export interface ClaimOptions<T extends KubeObjectLike> {
  api: KubeApi;
  /** The resource of the claimed objects (pods, replicasets). */
  resource: ResourceInfo;
  owner: KubeObjectLike & { metadata: ObjectMeta };
  ownerApiVersion: string;
  ownerKind: string;
  selector: LabelSelector;
  candidates: readonly T[];
  /** Checked once before the first adoption: e.g. the owner still exists live and is not being deleted. */
  canAdopt: () => Promise<boolean>;
  /** Whether an orphan may be adopted at all (e.g. not being deleted, active). */
  adoptable?: (obj: T) => boolean;
  log: Logger;
}

export async function claimObjects<T extends KubeObjectLike & { metadata: ObjectMeta }>(
  o: ClaimOptions<T>,
): Promise<T[]> {
  const owned: T[] = [];
  const ownerUid = o.owner.metadata.uid;
  const ownerDeleting = Boolean(o.owner.metadata.deletionTimestamp);
  let adoptionAllowed: boolean | undefined;
  for (const obj of o.candidates) {
    const ref = controllerOf(obj);
    const matches = matchesLabels(o.selector, obj.metadata.labels);
    if (ref) {
      if (ref.uid !== ownerUid) continue;
      if (matches || ownerDeleting) {
        owned.push(obj);
        continue;
      }
      await release(o, obj);
      continue;
    }
    if (!matches || ownerDeleting || obj.metadata.deletionTimestamp) continue;
    if (o.adoptable && !o.adoptable(obj)) continue;
    adoptionAllowed ??= await o.canAdopt();
    if (!adoptionAllowed) continue;
    const adopted = await adopt(o, obj);
    if (adopted) owned.push(adopted);
  }
  return owned;
}

async function adopt<T extends KubeObjectLike & { metadata: ObjectMeta }>(
  o: ClaimOptions<T>,
  obj: T,
): Promise<T | undefined> {
  const ref = newControllerRef(o.owner, o.ownerApiVersion, o.ownerKind);
  const refs = obj.metadata.ownerReferences;
  const patch = [
    { op: 'test', path: '/metadata/uid', value: obj.metadata.uid },
    { op: 'test', path: '/metadata/resourceVersion', value: obj.metadata.resourceVersion },
    refs
      ? { op: 'add', path: '/metadata/ownerReferences/-', value: ref }
      : { op: 'add', path: '/metadata/ownerReferences', value: [ref] },
  ];
  try {
    const result = await o.api.patch<T>(
      o.resource,
      obj.metadata.name ?? '',
      obj.metadata.namespace,
      patch,
      'json',
    );
    o.log.info('adopted', { kind: o.resource.kind, name: obj.metadata.name, owner: o.owner.metadata.name });
    return result;
  } catch (err) {
    if (isKubeApiError(err, 404)) return undefined;
    if (isKubeApiError(err, 409) || isKubeApiError(err, 422)) {
      o.log.debug('adoption raced with another change; will retry on the next sync', {
        name: obj.metadata.name,
      });
      return undefined;
    }
    throw err;
  }
}

async function release<T extends KubeObjectLike & { metadata: ObjectMeta }>(
  o: ClaimOptions<T>,
  obj: T,
): Promise<void> {
  const index = (obj.metadata.ownerReferences ?? []).findIndex((r) => r.uid === o.owner.metadata.uid);
  if (index < 0) return;
  const patch = [
    { op: 'test', path: `/metadata/ownerReferences/${index}/uid`, value: o.owner.metadata.uid },
    { op: 'remove', path: `/metadata/ownerReferences/${index}` },
  ];
  try {
    await o.api.patch(o.resource, obj.metadata.name ?? '', obj.metadata.namespace, patch, 'json');
    o.log.info('released', { kind: o.resource.kind, name: obj.metadata.name, owner: o.owner.metadata.name });
  } catch (err) {
    if (isKubeApiError(err, 404) || isKubeApiError(err, 409) || isKubeApiError(err, 422)) return;
    throw err;
  }
}
