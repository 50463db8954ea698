// When the desktop app raises a notification, decided from informer events (pure: no Electron, no
// I/O). Only transitions count: a node that goes from Ready to not Ready, a container that enters
// CrashLoopBackOff. A node that was never Ready (still joining) does not notify, and a container that
// keeps crash-looping notifies once until it is ready again, so a flapping workload cannot flood the
// desktop.
import { isNodeReady } from './health';
import type { NodeLike } from './health';

export interface DesktopNotification {
  /** Same key, same situation: the sink may use it to replace rather than stack notifications. */
  key: string;
  title: string;
  body: string;
}

export interface PodLike {
  metadata?: { name?: string; namespace?: string };
  spec?: { nodeName?: string };
  status?: {
    containerStatuses?: readonly ContainerStatusLike[];
    initContainerStatuses?: readonly ContainerStatusLike[];
  };
}

interface ContainerStatusLike {
  name: string;
  restartCount?: number;
  ready?: boolean;
  state?: { waiting?: { reason?: string; message?: string } };
}

export const CRASH_LOOP_REASON = 'CrashLoopBackOff';

/** A node that was Ready and no longer is. Nodes that appear or disappear are not news here. */
export function nodeTransition(
  oldNode: NodeLike | undefined,
  newNode: NodeLike,
): DesktopNotification | undefined {
  if (!oldNode || !isNodeReady(oldNode) || isNodeReady(newNode)) return undefined;
  const name = newNode.metadata?.name ?? '(unnamed)';
  const ready = newNode.status?.conditions?.find((c) => c.type === 'Ready') as
    { status: string; reason?: string; message?: string } | undefined;
  const why = ready?.message || ready?.reason || (ready ? `Ready is ${ready.status}` : 'no Ready condition');
  return {
    key: `node/${name}`,
    title: `Node ${name} is NotReady`,
    body: `${why}. Its pods keep running where they are; new pods are scheduled elsewhere.`,
  };
}

function crashLooping(pod: PodLike | undefined): Map<string, ContainerStatusLike> {
  const out = new Map<string, ContainerStatusLike>();
  for (const s of containerStatuses(pod))
    if (s.state?.waiting?.reason === CRASH_LOOP_REASON) out.set(s.name, s);
  return out;
}

function containerStatuses(pod: PodLike | undefined): readonly ContainerStatusLike[] {
  return [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])];
}

function podKey(pod: PodLike): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? '(unnamed)'}`;
}

/**
 * Remembers which containers were reported, because a crash-looping container cycles through
 * waiting(CrashLoopBackOff) → running → terminated → waiting again on every restart: without memory
 * each cycle would notify. A container is forgotten once it is ready again or its pod is deleted.
 * No I/O, no clock: the caller feeds it informer events and shows what it returns.
 */
export interface NotificationPolicy {
  nodeUpdated(oldNode: NodeLike | undefined, newNode: NodeLike): DesktopNotification | undefined;
  podUpdated(oldPod: PodLike | undefined, newPod: PodLike): DesktopNotification[];
  podDeleted(pod: PodLike): void;
}

export function createNotificationPolicy(): NotificationPolicy {
  const reported = new Set<string>();
  return {
    nodeUpdated: nodeTransition,
    podUpdated(_oldPod, newPod) {
      const pod = podKey(newPod);
      for (const s of containerStatuses(newPod)) {
        if (s.ready === true) reported.delete(`${pod}/${s.name}`);
      }
      const out: DesktopNotification[] = [];
      for (const [container, status] of crashLooping(newPod)) {
        const key = `${pod}/${container}`;
        if (reported.has(key)) continue;
        reported.add(key);
        out.push(crashLoopNotification(newPod, container, status));
      }
      return out;
    },
    podDeleted(pod) {
      const prefix = `${podKey(pod)}/`;
      for (const key of [...reported]) if (key.startsWith(prefix)) reported.delete(key);
    },
  };
}

function crashLoopNotification(
  pod: PodLike,
  container: string,
  status: ContainerStatusLike,
): DesktopNotification {
  const ns = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name ?? '(unnamed)';
  const restarts = status.restartCount ?? 0;
  const node = pod.spec?.nodeName ? ` on ${pod.spec.nodeName}` : '';
  return {
    key: `pod/${ns}/${name}/${container}`,
    title: `Pod ${ns}/${name} is crash-looping`,
    body: `Container "${container}"${node} keeps failing (${restarts} ${restarts === 1 ? 'restart' : 'restarts'}). Check its logs.`,
  };
}
