// What the pod page shows beyond the list row: its QoS class, each container's state in words, and
// the events about it.
import { cpuMillicores, memoryBytes } from '../../../../src-main/shared/quantity';
import { timestampMs } from '../../lib/format';
import type { ContainerState, ContainerStatus, CoreEvent, Pod, PodContainer } from '../../lib/kube-types';
import type { Tone } from '../../lib/tone';

/**
 * Kubernetes' QoS class (pkg/apis/core/helper/qos): Guaranteed when every container has CPU and memory
 * limits equal to its requests, BestEffort when no container asks for or limits either, Burstable
 * otherwise. The server's status.qosClass wins when it is set.
 */
export function qosClass(pod: Pod): string {
  if (pod.status?.qosClass) return pod.status.qosClass;
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      if (req[r] !== undefined || lim[r] !== undefined) any = true;
      const l = lim[r];
      // An unset request defaults to the limit.
      const q = req[r] ?? l;
      if (l === undefined || q === undefined || !sameQuantity(r, q, l)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function sameQuantity(resource: string, a: string, b: string): boolean {
  try {
    return resource === 'cpu' ? cpuMillicores(a) === cpuMillicores(b) : memoryBytes(a) === memoryBytes(b);
  } catch {
    return a === b;
  }
}

export interface StateText {
  label: string;
  detail: string;
  tone: Tone;
}

/** A container state as words: "Running since …", "Waiting: CrashLoopBackOff", "Terminated: Error (exit 1)". */
export function describeState(state: ContainerState | undefined): StateText | undefined {
  if (!state) return undefined;
  if (state.running) return { label: 'Running', detail: state.running.startedAt ?? '', tone: 'good' };
  if (state.waiting) {
    const reason = state.waiting.reason ?? 'Waiting';
    return {
      label: `Waiting: ${reason}`,
      detail: state.waiting.message ?? '',
      tone: /BackOff|Err|Invalid/.test(reason) ? 'bad' : 'progress',
    };
  }
  if (state.terminated) {
    const t = state.terminated;
    const why = t.reason ?? (t.signal ? `Signal ${t.signal}` : 'Terminated');
    const code = t.exitCode !== undefined ? ` (exit ${t.exitCode})` : '';
    return {
      label: `Terminated: ${why}${code}`,
      detail: t.message ?? t.finishedAt ?? '',
      tone: t.exitCode === 0 ? 'neutral' : 'bad',
    };
  }
  return undefined;
}

export interface ContainerRow {
  name: string;
  init: boolean;
  image: string;
  ports: string[];
  ready: boolean;
  restartCount: number;
  state?: StateText;
  lastState?: StateText;
  /** Whether the container has never started, so there is no log to show yet. */
  waiting: boolean;
  requests: string;
  limits: string;
}

function formatResources(r: Record<string, string> | undefined): string {
  if (!r) return '';
  return Object.entries(r)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

export function containerRows(pod: Pod): ContainerRow[] {
  const statuses = new Map<string, ContainerStatus>();
  for (const s of pod.status?.containerStatuses ?? []) statuses.set(`c/${s.name}`, s);
  for (const s of pod.status?.initContainerStatuses ?? []) statuses.set(`i/${s.name}`, s);
  const row = (c: PodContainer, init: boolean): ContainerRow => {
    const s = statuses.get(`${init ? 'i' : 'c'}/${c.name}`);
    const state = describeState(s?.state);
    return {
      name: c.name,
      init,
      image: c.image ?? s?.image ?? '',
      ports: (c.ports ?? []).map(
        (p) =>
          `${p.name ? `${p.name}: ` : ''}${p.containerPort}/${p.protocol ?? 'TCP'}${p.hostPort ? ` (host ${p.hostPort})` : ''}`,
      ),
      ready: s?.ready ?? false,
      restartCount: s?.restartCount ?? 0,
      ...(state ? { state } : {}),
      ...(describeState(s?.lastState) ? { lastState: describeState(s?.lastState)! } : {}),
      waiting: !s || (!!s.state?.waiting && !s.lastState?.terminated && (s.restartCount ?? 0) === 0),
      requests: formatResources(c.resources?.requests),
      limits: formatResources(c.resources?.limits),
    };
  };
  return [
    ...(pod.spec?.initContainers ?? []).map((c) => row(c, true)),
    ...(pod.spec?.containers ?? []).map((c) => row(c, false)),
  ];
}

export function eventTime(e: CoreEvent): number {
  return (
    timestampMs(e.lastTimestamp) ||
    timestampMs(e.eventTime) ||
    timestampMs(e.firstTimestamp) ||
    timestampMs(e.metadata.creationTimestamp)
  );
}

/**
 * Events about one object, newest first. Matched by uid when the event carries one (so a pod that was
 * deleted and re-created under the same name does not inherit its predecessor's events), else by
 * kind, namespace and name.
 */
export function eventsFor(
  events: readonly CoreEvent[],
  obj: { kind: string; name: string; namespace?: string; uid?: string },
): CoreEvent[] {
  return events
    .filter((e) => {
      const io = e.involvedObject ?? {};
      if (io.kind !== obj.kind || io.name !== obj.name) return false;
      if ((io.namespace ?? '') !== (obj.namespace ?? '')) return false;
      return !io.uid || !obj.uid || io.uid === obj.uid;
    })
    .sort((a, b) => eventTime(b) - eventTime(a));
}

/** Labels as "k=v" chips, sorted. */
export function labelChips(labels: Record<string, string> | undefined): string[] {
  return Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .sort();
}

/** The object as `kubectl get -o yaml` shows it (managed fields hidden, as kubectl does by default). */
export function forDisplay<T extends { metadata?: Record<string, unknown> }>(obj: T): T {
  if (!obj.metadata || !('managedFields' in obj.metadata)) return obj;
  const { managedFields: _hidden, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}
