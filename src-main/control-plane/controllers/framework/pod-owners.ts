// The pod side of a workload controller that owns pods directly (ReplicaSet, DaemonSet): which owner a
// pod event concerns, and, at the start of a sync, claiming the owner's pods (kube's
// PodControllerRefManager setup): adopting matching orphans, releasing owned pods that stopped matching.
import type { Logger } from '../../../platform/logger';
import { controllerOf } from '../../../shared/kube/meta';
import type { LabelSelectorSpec, ObjectMeta, Pod } from '../../../shared/kube/objects';
import type { EventRecorder, KubeApi, KubeObjectLike, Lister } from '../../../shared/kube/types';
import { labelSelectorFromObject, matchesLabelSelectorObject } from '../../../shared/labels';
import type { LabelSelector } from '../../../shared/labels';
import type { ResourceInfo } from '../../../shared/resources';
import type { ControllerContext } from './context';
import { claimObjects } from './ownership';
import { PODS } from './resources';

export interface PodOwner extends KubeObjectLike {
  metadata: ObjectMeta;
  spec: { selector: LabelSelectorSpec };
}

export interface PodOwnersOptions<O extends PodOwner> {
  api: KubeApi;
  /** The owners' resource: its kind is the one controller references must name; re-read live before adopting. */
  resource: ResourceInfo;
  /** The owners' cache. */
  lister: Lister<O>;
  recorder: EventRecorder;
  log: Logger;
}

export interface PodOwners<O extends PodOwner> {
  /** How an owner is named in an Event's involvedObject (list items may lack apiVersion/kind). */
  ref(owner: O): KubeObjectLike;
  /** The owner the pod's controller reference points at, if it is still the same object. */
  ownerOf(pod: Pod): O | undefined;
  /** The owners in the pod's namespace whose selector matches its labels (who may adopt an orphan). */
  matching(pod: Pod): O[];
  /**
   * The pods among `candidates` the owner controls, after adopting and releasing. Undefined (and a
   * warning Event) when the owner's selector does not parse: nothing can be claimed then.
   */
  claim(owner: O, candidates: readonly Pod[]): Promise<Pod[] | undefined>;
}

/** How an object is named in an Event's involvedObject (list items may lack apiVersion/kind). */
export function involved(obj: KubeObjectLike, apiVersion: string, kind: string): KubeObjectLike {
  return { apiVersion, kind, metadata: obj.metadata };
}

/** Pod owners of a resource, read from the controller context's shared informer of it. */
export function podOwnersFor<O extends PodOwner>(
  ctx: ControllerContext,
  resource: ResourceInfo,
  log: Logger,
  recorder: EventRecorder,
): PodOwners<O> {
  const lister = ctx.informers.informerFor<O>(resource).lister;
  return createPodOwners<O>({ api: ctx.api, resource, lister, recorder, log });
}

export function createPodOwners<O extends PodOwner>(o: PodOwnersOptions<O>): PodOwners<O> {
  const kind = o.resource.kind;
  const apiVersion = o.resource.group ? `${o.resource.group}/${o.resource.version}` : o.resource.version;
  const ref = (owner: O) => involved(owner, apiVersion, kind);
  return {
    ref,
    ownerOf(pod) {
      const cref = controllerOf(pod);
      if (!cref || cref.kind !== kind) return undefined;
      const owner = o.lister.get(cref.name, pod.metadata.namespace);
      return owner && owner.metadata.uid === cref.uid ? owner : undefined;
    },
    matching(pod) {
      return o.lister
        .list(pod.metadata.namespace)
        .filter((owner) => matchesLabelSelectorObject(owner.spec.selector, pod.metadata.labels));
    },
    async claim(owner, candidates) {
      let selector: LabelSelector;
      try {
        selector = labelSelectorFromObject(owner.spec.selector);
      } catch (err) {
        o.recorder.event(
          ref(owner),
          'Warning',
          'InvalidSelector',
          `Invalid selector: ${(err as Error).message}`,
        );
        return undefined;
      }
      const { name = '', namespace, uid } = owner.metadata;
      return claimObjects<Pod>({
        api: o.api,
        resource: PODS,
        owner,
        ownerApiVersion: apiVersion,
        ownerKind: kind,
        selector,
        candidates,
        canAdopt: async () => {
          // Re-read the owner live: never adopt for an owner that is gone or being deleted.
          try {
            const fresh = await o.api.get<O>(o.resource, name, namespace);
            return fresh.metadata.uid === uid && !fresh.metadata.deletionTimestamp;
          } catch {
            return false;
          }
        },
        log: o.log,
      });
    },
  };
}
