// Watches nodes and pods through the API (the same informers the controllers use) and turns what it
// sees into the tray's health and desktop notifications. Plain Node: the caller decides how health
// and notifications are shown, so this runs and is tested without Electron.
import { createInformer } from '../shared/kube/informer';
import type { KubeApi, Stoppable } from '../shared/kube/types';
import type { Node, Pod } from '../control-plane/scheduler/api-types';
import { resourceFor } from '../shared/resources';
import type { Logger } from '../platform/logger';
import { clusterHealth } from './health';
import type { ClusterHealth, NodeLike } from './health';
import { createNotificationPolicy } from './notifications-logic';
import type { DesktopNotification, PodLike } from './notifications-logic';

export interface ClusterWatchSink {
  health(health: ClusterHealth): void;
  notify(notification: DesktopNotification): void;
}

export function watchCluster(api: KubeApi, sink: ClusterWatchSink, log: Logger): Stoppable {
  const onError = (message: string, err: unknown) => log.debug(message, { err });
  const nodes = createInformer<Node>(api, resourceFor('', 'nodes'), { onError });
  const pods = createInformer<Pod>(api, resourceFor('', 'pods'), { onError });
  const policy = createNotificationPolicy();
  let lastSummary: string | undefined;

  const publishHealth = () => {
    if (!nodes.hasSynced()) return;
    const health = clusterHealth(nodes.lister.list() as NodeLike[]);
    if (health.summary === lastSummary) return;
    lastSummary = health.summary;
    sink.health(health);
  };
  const show = (n: DesktopNotification | undefined) => {
    if (n) sink.notify(n);
  };

  nodes.addHandlers({
    onAdd: publishHealth,
    onUpdate(oldNode, newNode) {
      publishHealth();
      show(policy.nodeUpdated(oldNode as NodeLike, newNode as NodeLike));
    },
    onDelete: publishHealth,
  });
  pods.addHandlers({
    // What is already crash-looping when the app starts is remembered, not announced: opening the app
    // should not greet the person with a burst of old news (the UI lists those pods).
    onAdd: (pod) => {
      const out = policy.podUpdated(undefined, pod as PodLike);
      if (pods.hasSynced()) out.forEach(show);
    },
    onUpdate: (oldPod, newPod) => policy.podUpdated(oldPod as PodLike, newPod as PodLike).forEach(show),
    onDelete: (pod) => policy.podDeleted(pod as PodLike),
  });

  nodes
    .start()
    .then(publishHealth)
    .catch((err: unknown) => log.warn('node watch failed', { err }));
  pods.start().catch((err: unknown) => log.warn('pod watch failed', { err }));
  return {
    stop() {
      nodes.stop();
      pods.stop();
    },
  };
}
