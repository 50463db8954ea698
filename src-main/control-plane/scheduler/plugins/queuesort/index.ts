// PrioritySort: higher spec.priority first, then first come, first served.
import type { PluginFactory, QueuedPodInfo } from '../../framework/types';

export const NAME = 'PrioritySort';

export function less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
  const pa = a.pod.spec.priority ?? 0;
  const pb = b.pod.spec.priority ?? 0;
  if (pa !== pb) return pa > pb;
  return a.initialAttemptTimestamp < b.initialAttemptTimestamp;
}

export const prioritySort: PluginFactory = {
  name: NAME,
  extensionPoints: ['queueSort'],
  create: () => ({ name: NAME, less }),
};
