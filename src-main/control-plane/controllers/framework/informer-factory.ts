// One informer per resource for every controller in the process: the first controller that asks for
// pods creates the pod informer, the others share it (one list+watch, one cache).
import { createInformer } from '../../../shared/kube/informer';
import type { InformerWithState } from '../../../shared/kube/informer';
import type { KubeApi, KubeObjectLike } from '../../../shared/kube/types';
import type { ResourceInfo } from '../../../shared/resources';
import type { Logger } from '../../../platform/logger';

export interface SharedInformerFactory {
  /** The shared informer of a resource (created on first use; not started until `start()`). */
  informerFor<T extends KubeObjectLike>(resource: ResourceInfo): InformerWithState<T>;
  /** Starts every informer created so far that is not running; resolves when all have synced. */
  start(): Promise<void>;
  stop(): void;
}

export function createSharedInformerFactory(
  api: KubeApi,
  options: { log?: Logger } = {},
): SharedInformerFactory {
  const informers = new Map<string, InformerWithState<KubeObjectLike>>();
  let stopped = false;
  return {
    informerFor<T extends KubeObjectLike>(resource: ResourceInfo) {
      const key = `${resource.group}/${resource.plural}`;
      let informer = informers.get(key);
      if (!informer) {
        informer = createInformer<KubeObjectLike>(api, resource, {
          onError: (message, err) => options.log?.warn(message, { error: err }),
        });
        informers.set(key, informer);
      }
      return informer as unknown as InformerWithState<T>;
    },
    async start() {
      if (stopped) throw new Error('the informer factory is stopped');
      await Promise.all([...informers.values()].map((i) => i.start()));
    },
    stop() {
      stopped = true;
      for (const i of informers.values()) i.stop();
    },
  };
}
