// Events are one kind served twice: core/v1 (involvedObject, message, firstTimestamp...) and events.k8s.io/v1
// (regarding, note, deprecatedFirstTimestamp...). Both are read through one view here, so validation, printing
// and field selection are written once; field paths use the names of the API the client spoke.
import type { StatusCause } from '../../../../shared/status';
import { isQualifiedName, type NameValidator } from '../../../../shared/validation';
import { FieldPath, invalid, required, validateImmutable } from './field';
import { AGE_COLUMN, column, since } from './print';
import { rec, str, type Json } from './util';
import type { KubeObject, TableColumn } from '../types';

export interface EventView {
  involvedObject: Json;
  reason: string;
  message: string;
  type: string;
  sourceComponent: string;
  sourceHost: string;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  eventTime: string;
  series?: { count: number; lastObservedTime: string };
  reportingController: string;
  reportingInstance: string;
  action: string;
}

/** Field names of the two versions, for views and error paths. */
const NAMES = {
  core: {
    involvedObject: 'involvedObject',
    message: 'message',
    source: 'source',
    firstTimestamp: 'firstTimestamp',
    lastTimestamp: 'lastTimestamp',
    count: 'count',
    reportingController: 'reportingComponent',
  },
  v1: {
    involvedObject: 'regarding',
    message: 'note',
    source: 'deprecatedSource',
    firstTimestamp: 'deprecatedFirstTimestamp',
    lastTimestamp: 'deprecatedLastTimestamp',
    count: 'deprecatedCount',
    reportingController: 'reportingController',
  },
};

export type EventApi = keyof typeof NAMES;

export function eventView(obj: KubeObject, api: EventApi): EventView {
  const o = obj as Json;
  const n = NAMES[api];
  const source = rec(o[n.source]) ?? {};
  const series = rec(o.series);
  return {
    involvedObject: rec(o[n.involvedObject]) ?? {},
    reason: str(o.reason),
    message: str(o[n.message]),
    type: str(o.type),
    sourceComponent: str(source.component),
    sourceHost: str(source.host),
    firstTimestamp: str(o[n.firstTimestamp]),
    lastTimestamp: str(o[n.lastTimestamp]),
    count: typeof o[n.count] === 'number' ? (o[n.count] as number) : 0,
    eventTime: str(o.eventTime),
    series: series
      ? {
          count: typeof series.count === 'number' ? series.count : 0,
          lastObservedTime: str(series.lastObservedTime),
        }
      : undefined,
    // core/v1 calls it reportingComponent in JSON.
    reportingController: str(o.reportingController) || str(o.reportingComponent),
    reportingInstance: str(o.reportingInstance),
    action: str(o.action),
  };
}

const LIMIT = { reportingInstance: 128, action: 128, reason: 128, note: 1024 };

/** legacyValidateEvent plus, for events.k8s.io/v1, the strict checks of ValidateEventCreate. */
export function validateEvent(obj: KubeObject, api: EventApi): StatusCause[] {
  const v = eventView(obj, api);
  const n = NAMES[api];
  const out: StatusCause[] = [];
  const namespace = obj.metadata?.namespace ?? '';
  const involvedNs = str(v.involvedObject.namespace);
  const involvedNsPath = FieldPath.root(n.involvedObject, 'namespace');
  if (v.eventTime === '') {
    if (involvedNs === '' ? namespace !== '' && namespace !== 'default' : namespace !== involvedNs) {
      out.push(invalid(involvedNsPath, involvedNs, 'does not match event.namespace'));
    }
  } else {
    if (involvedNs === '' && namespace !== 'default' && namespace !== 'kube-system') {
      out.push(invalid(involvedNsPath, involvedNs, 'does not match event.namespace'));
    }
    const rc = FieldPath.root(n.reportingController);
    if (v.reportingController === '') out.push(required(rc));
    for (const m of isQualifiedName(v.reportingController)) out.push(invalid(rc, v.reportingController, m));
    if (v.reportingInstance === '') out.push(required(FieldPath.root('reportingInstance')));
    if (v.reportingInstance.length > LIMIT.reportingInstance) {
      out.push(
        invalid(
          FieldPath.root('reportingInstance'),
          '',
          `can have at most ${LIMIT.reportingInstance} characters`,
        ),
      );
    }
    if (v.action === '') out.push(required(FieldPath.root('action')));
    if (v.action.length > LIMIT.action)
      out.push(invalid(FieldPath.root('action'), '', `can have at most ${LIMIT.action} characters`));
    if (v.reason === '') out.push(required(FieldPath.root('reason')));
    if (v.reason.length > LIMIT.reason)
      out.push(invalid(FieldPath.root('reason'), '', `can have at most ${LIMIT.reason} characters`));
    if (v.message.length > LIMIT.note)
      out.push(invalid(FieldPath.root(n.message), '', `can have at most ${LIMIT.note} characters`));
  }
  if (api === 'core') return out;

  if (v.series) {
    if (v.series.count < 2) out.push(invalid(FieldPath.root('series', 'count'), '', 'should be at least 2'));
    if (v.series.lastObservedTime === '') out.push(required(FieldPath.root('series', 'lastObservedTime')));
  }
  if (v.eventTime === '') out.push(required(FieldPath.root('eventTime')));
  if (v.type !== 'Normal' && v.type !== 'Warning')
    out.push(invalid(FieldPath.root('type'), '', `has invalid value: ${v.type}`));
  if (v.firstTimestamp !== '') out.push(invalid(FieldPath.root(n.firstTimestamp), '', 'needs to be unset'));
  if (v.lastTimestamp !== '') out.push(invalid(FieldPath.root(n.lastTimestamp), '', 'needs to be unset'));
  if (v.count !== 0) out.push(invalid(FieldPath.root(n.count), '', 'needs to be unset'));
  if (v.sourceComponent !== '' || v.sourceHost !== '')
    out.push(invalid(FieldPath.root(n.source), '', 'needs to be unset'));
  return out;
}

/** events.k8s.io/v1 updates may only move the series forward. */
export function validateEventV1Immutables(obj: KubeObject, old: KubeObject): StatusCause[] {
  const o = obj as Json;
  const p = old as Json;
  const fields = [
    'regarding',
    'related',
    'reason',
    'note',
    'type',
    'eventTime',
    'action',
    'reportingController',
    'reportingInstance',
    'deprecatedSource',
    'deprecatedFirstTimestamp',
    'deprecatedLastTimestamp',
    'deprecatedCount',
  ];
  return fields.flatMap((f) => validateImmutable(o[f], p[f], FieldPath.root(f)));
}

/** Event names need only be valid path segments (ValidatePathSegmentName), as Kubernetes checks them. */
export const nameIsPathSegment: NameValidator = (name, prefix) => {
  if (!prefix && (name === '.' || name === '..')) return [`may not be '${name}'`];
  const out: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) out.push(`may not contain '${bad}'`);
  return out;
};

export const EVENT_COLUMNS: TableColumn[] = [
  column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
  column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
  column(
    'Reason',
    'string',
    "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
  ),
  column('Object', 'string', 'The object that this event is about.'),
  column(
    'Subobject',
    'string',
    'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.',
    1,
  ),
  column(
    'Source',
    'string',
    'The component reporting this event. Should be a short machine understandable string.',
    1,
  ),
  column('Message', 'string', 'A human-readable description of the status of this operation.'),
  column(
    'First Seen',
    'string',
    'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
    1,
  ),
  column('Count', 'string', 'The number of times this event has occurred.', 1),
  { ...AGE_COLUMN, name: 'Name', format: 'name', priority: 1, description: 'Name of the event.' },
];

/** printEvent with wide output, which is what the server always returns. */
export function eventRow(obj: KubeObject, api: EventApi, now: Date): unknown[] {
  const v = eventView(obj, api);
  const first = v.firstTimestamp !== '' ? since(v.firstTimestamp, now) : since(v.eventTime, now);
  let last = v.lastTimestamp !== '' ? since(v.lastTimestamp, now) : first;
  let count = v.count;
  if (v.series) {
    last = since(v.series.lastObservedTime, now);
    count = v.series.count;
  } else if (count === 0) {
    count = 1;
  }
  const kind = str(v.involvedObject.kind).toLowerCase();
  const name = str(v.involvedObject.name);
  const component = v.sourceComponent || v.reportingController;
  const instance = v.sourceHost || v.reportingInstance;
  return [
    last,
    v.type,
    v.reason,
    name ? `${kind}/${name}` : kind,
    str(v.involvedObject.fieldPath),
    instance ? `${component}, ${instance}` : component,
    v.message.trim(),
    first,
    count,
    obj.metadata?.name ?? '',
  ];
}

/** Selectable fields, keyed by the names each API accepts (events.k8s.io maps regarding.* onto the same set). */
export function eventFieldSelectors(api: EventApi): Record<string, (obj: KubeObject) => string | undefined> {
  const prefix = api === 'core' ? 'involvedObject' : 'regarding';
  const involved = (key: string) => (o: KubeObject) => str(eventView(o, api).involvedObject[key]);
  const out: Record<string, (obj: KubeObject) => string | undefined> = {};
  for (const key of ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']) {
    out[`${prefix}.${key}`] = involved(key);
  }
  out.reason = (o) => eventView(o, api).reason;
  out.type = (o) => eventView(o, api).type;
  out[api === 'core' ? 'reportingComponent' : 'reportingController'] = (o) =>
    eventView(o, api).reportingController;
  if (api === 'core')
    out.source = (o) => eventView(o, api).sourceComponent || eventView(o, api).reportingController;
  return out;
}
