// Test helpers for controller suites: a fake kubelet that plays the node's part for pods until the
// real agent exists — it marks new pods Running and Ready through the status subresource (as a
// kubelet would) and finishes graceful deletions. Used by the unit tests (fake API) and the
// integration suites (real API server).
import { createInformer } from '../../shared/kube/informer';
import type { Pod } from '../../shared/kube/objects';
import { isKubeApiError } from '../../shared/kube/types';
import type { KubeApi, Stoppable } from '../../shared/kube/types';
import { PODS } from './framework/resources';

export interface FakeKubeletOptions {
  /** Delay from seeing a pod to reporting it Ready (default 0). May be a function for jitter. */
  readyAfterMs?: number | ((pod: Pod) => number);
  /** Only pods this returns true for are made ready (default all). */
  filter?: (pod: Pod) => boolean;
  onError?: (err: unknown) => void;
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function startFakeKubelet(
  api: KubeApi,
  options: FakeKubeletOptions = {},
): Promise<Stoppable & { readied: Set<string> }> {
  const informer = createInformer<Pod>(api, PODS, { onError: (_m, err) => options.onError?.(err) });
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const readied = new Set<string>();
  const scheduled = new Set<string>();
  let stopped = false;

  async function makeReady(pod: Pod): Promise<void> {
    const t = now();
    const containers = ((pod.spec?.containers as { name: string; image?: string }[] | undefined) ?? []).map(
      (c) => ({
        name: c.name,
        image: c.image,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: t } },
      }),
    );
    try {
      await api.patch(
        PODS,
        pod.metadata.name ?? '',
        pod.metadata.namespace,
        {
          status: {
            phase: 'Running',
            startTime: t,
            conditions: [
              { type: 'Initialized', status: 'True', lastTransitionTime: t },
              { type: 'ContainersReady', status: 'True', lastTransitionTime: t },
              { type: 'Ready', status: 'True', lastTransitionTime: t },
            ],
            containerStatuses: containers,
          },
        },
        'merge',
        'status',
      );
      readied.add(pod.metadata.uid ?? '');
    } catch (err) {
      if (!isKubeApiError(err, 404) && !stopped) options.onError?.(err);
    }
  }

  function consider(pod: Pod): void {
    if (stopped) return;
    const uid = pod.metadata.uid ?? '';
    if (pod.metadata.deletionTimestamp) {
      // Finish a graceful deletion the way a kubelet does once the containers are gone.
      void api
        .delete(PODS, pod.metadata.name ?? '', pod.metadata.namespace, { gracePeriodSeconds: 0 })
        .catch((err: unknown) => !isKubeApiError(err, 404) && options.onError?.(err));
      return;
    }
    if (scheduled.has(uid) || (options.filter && !options.filter(pod))) return;
    if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
    scheduled.add(uid);
    const delay =
      typeof options.readyAfterMs === 'function' ? options.readyAfterMs(pod) : (options.readyAfterMs ?? 0);
    const timer = setTimeout(() => {
      timers.delete(timer);
      void makeReady(pod);
    }, delay);
    timers.add(timer);
  }

  informer.addHandlers({ onAdd: consider, onUpdate: (_o, p) => consider(p) });
  await informer.start();
  return {
    readied,
    stop() {
      stopped = true;
      informer.stop();
      for (const t of timers) clearTimeout(t);
    },
  };
}
