// Events as the activity feed shows them: newest first, with who did it (the reporting component)
// and to what (the involved object), filterable by component, type and object.
import { matchesSearch, timestampMs } from '../../lib/format';
import type { CoreEvent } from '../../lib/kube-types';

export interface EventRow {
  key: string;
  time: number;
  type: string;
  reason: string;
  message: string;
  component: string;
  objectKind: string;
  objectName: string;
  namespace: string;
  count: number;
}

export function eventComponent(e: CoreEvent): string {
  return e.reportingComponent || e.source?.component || 'unknown';
}

export function eventRow(e: CoreEvent): EventRow {
  return {
    key: e.metadata.uid ?? `${e.metadata.namespace}/${e.metadata.name}`,
    time:
      timestampMs(e.lastTimestamp) ||
      timestampMs(e.eventTime) ||
      timestampMs(e.firstTimestamp) ||
      timestampMs(e.metadata.creationTimestamp),
    type: e.type ?? 'Normal',
    reason: e.reason ?? '',
    message: e.message ?? '',
    component: eventComponent(e),
    objectKind: e.involvedObject?.kind ?? '',
    objectName: e.involvedObject?.name ?? '',
    namespace: e.involvedObject?.namespace ?? e.metadata.namespace ?? '',
    count: e.count ?? 1,
  };
}

export interface EventQuery {
  /** '' for every component. */
  component: string;
  /** '' for both. */
  type: '' | 'Normal' | 'Warning';
  /** Matches kind, name, namespace, reason and message. */
  object: string;
}

export function filterEvents(events: readonly CoreEvent[], query: EventQuery): EventRow[] {
  return events
    .map(eventRow)
    .filter(
      (r) =>
        (!query.component || r.component === query.component) &&
        (!query.type || r.type === query.type) &&
        matchesSearch(query.object, [
          r.objectKind,
          r.objectName,
          `${r.objectKind}/${r.objectName}`,
          r.namespace,
          r.reason,
          r.message,
        ]),
    )
    .sort((a, b) => b.time - a.time || a.key.localeCompare(b.key));
}

export function eventComponents(events: readonly CoreEvent[]): string[] {
  return [...new Set(events.map(eventComponent))].sort();
}
