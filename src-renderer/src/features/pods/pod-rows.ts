// Pods as table rows: the status column follows kubectl's rules (a waiting or terminated container's
// reason wins over the phase: CrashLoopBackOff, ImagePullBackOff, Init:0/1, Terminating…), plus the
// filtering and sorting the Pods view offers.
import { compareValues, matchesSearch, timestampMs } from '../../lib/format';
import type { SortDirection } from '../../lib/format';
import type { Pod } from '../../lib/kube-types';
import { podStatusTone } from '../../lib/tone';
import type { Tone } from '../../lib/tone';

export interface PodRow {
  key: string;
  name: string;
  namespace: string;
  status: string;
  tone: Tone;
  ready: string;
  readyCount: number;
  containerCount: number;
  restarts: number;
  node: string;
  podIP: string;
  created: number;
  pod: Pod;
}

/** kubectl's STATUS column (pkg/printers/internalversion printPod), from the pod's status alone. */
export function podStatus(pod: Pod): string {
  const status = pod.status ?? {};
  let reason = status.reason || status.phase || 'Pending';

  let initializing = false;
  const inits = status.initContainerStatuses ?? [];
  const initTotal = pod.spec?.initContainers?.length ?? inits.length;
  for (const [i, c] of inits.entries()) {
    const term = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (term) {
      reason = term.reason
        ? `Init:${term.reason}`
        : term.signal
          ? `Init:Signal:${term.signal}`
          : `Init:ExitCode:${term.exitCode ?? '?'}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initTotal}`;
    }
    initializing = true;
    break;
  }

  if (!initializing) {
    let hasRunning = false;
    const containers = [...(status.containerStatuses ?? [])].reverse();
    for (const c of containers) {
      const waiting = c.state?.waiting;
      const term = c.state?.terminated;
      if (waiting?.reason) reason = waiting.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode ?? '?'}`;
      else if (c.ready && c.state?.running) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) {
      const ready = status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      reason = ready ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

export function podRow(pod: Pod): PodRow {
  const statuses = pod.status?.containerStatuses ?? [];
  const containerCount = pod.spec?.containers?.length ?? statuses.length;
  const readyCount = statuses.filter((c) => c.ready).length;
  const status = podStatus(pod);
  const namespace = pod.metadata.namespace ?? 'default';
  return {
    key: pod.metadata.uid ?? `${namespace}/${pod.metadata.name}`,
    name: pod.metadata.name,
    namespace,
    status,
    tone: podStatusTone(status),
    ready: `${readyCount}/${containerCount}`,
    readyCount,
    containerCount,
    restarts: statuses.reduce((sum, c) => sum + (c.restartCount ?? 0), 0),
    node: pod.spec?.nodeName ?? '',
    podIP: pod.status?.podIP ?? '',
    created: timestampMs(pod.metadata.creationTimestamp),
    pod,
  };
}

export type PodSortKey = 'name' | 'namespace' | 'status' | 'ready' | 'restarts' | 'node' | 'podIP' | 'age';

export interface PodQuery {
  /** '' for all namespaces. */
  namespace: string;
  search: string;
  sortKey: PodSortKey;
  direction: SortDirection;
}

/** Sorts IPs numerically (10.0.0.9 before 10.0.0.10); empty last. */
export function ipSortValue(ip: string): string {
  if (!ip) return '~';
  const parts = ip.split('.');
  if (parts.length !== 4) return ip;
  return parts.map((p) => p.padStart(3, '0')).join('.');
}

function sortValue(row: PodRow, key: PodSortKey): string | number {
  switch (key) {
    case 'age':
      // Newest first reads as "youngest age first", so age sorts by negative creation time.
      return -row.created;
    case 'ready':
      return row.containerCount ? row.readyCount / row.containerCount : 0;
    case 'restarts':
      return row.restarts;
    case 'podIP':
      return ipSortValue(row.podIP);
    default:
      return row[key];
  }
}

export function filterAndSortPods(rows: readonly PodRow[], query: PodQuery): PodRow[] {
  const out = rows.filter(
    (r) =>
      (!query.namespace || r.namespace === query.namespace) &&
      matchesSearch(query.search, [r.name, r.namespace, r.status, r.node, r.podIP]),
  );
  const sign = query.direction === 'asc' ? 1 : -1;
  return out.sort(
    (a, b) =>
      sign * compareValues(sortValue(a, query.sortKey), sortValue(b, query.sortKey)) ||
      compareValues(a.namespace, b.namespace) ||
      compareValues(a.name, b.name),
  );
}

/** Pods by the phase-like bucket the Overview counts. */
export function countByStatus(rows: readonly PodRow[]): { status: string; tone: Tone; count: number }[] {
  const counts = new Map<string, { tone: Tone; count: number }>();
  for (const r of rows) {
    const c = counts.get(r.status) ?? { tone: r.tone, count: 0 };
    c.count++;
    counts.set(r.status, c);
  }
  return [...counts].map(([status, c]) => ({ status, ...c })).sort((a, b) => b.count - a.count);
}
