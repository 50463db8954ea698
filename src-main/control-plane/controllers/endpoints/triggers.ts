// Which Services to look at again when pods or Services change (shared by the Endpoints and the
// EndpointSlice controllers): a Service on any change of its own; the Services selecting a pod
// (before or after the change) when one of the pod's endpoint facts changed.
import { objectKey } from '../../../shared/kube/meta';
import type { Pod } from '../../../shared/kube/objects';
import type { Informer } from '../../../shared/kube/types';
import type { WorkQueue } from '../../workqueue/queue';
import { endpointFactsChanged, selects } from './desired';
import type { Service } from './desired';

export function enqueueServicesForPods(
  serviceInformer: Informer<Service>,
  podInformer: Informer<Pod>,
  queue: WorkQueue<string>,
): void {
  const forPod = (pod: Pod) => {
    for (const svc of serviceInformer.lister.list(pod.metadata.namespace))
      if (selects(svc, pod)) queue.add(objectKey(svc));
  };
  serviceInformer.addHandlers({
    onAdd: (svc) => queue.add(objectKey(svc)),
    onUpdate: (_old, svc) => queue.add(objectKey(svc)),
    onDelete: (svc) => queue.add(objectKey(svc)),
  });
  podInformer.addHandlers({
    onAdd: forPod,
    onUpdate(old, pod) {
      if (!endpointFactsChanged(old, pod)) return;
      forPod(pod);
      if (JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {}))
        forPod(old);
    },
    onDelete: forPod,
  });
}
