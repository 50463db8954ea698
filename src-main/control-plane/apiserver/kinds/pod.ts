// Pods (core/v1): defaulting, validation (including the narrow set of updatable spec fields), the table kubectl
// prints (status computed from container states like kubectl does) and the selectable fields.
import type { StatusCause } from '../../../shared/status';
import { deepEqual, FieldPath, forbidden, invalid, required } from './common/field';
import { validateObjectMeta, validateObjectMetaUpdate } from './common/meta';
import { defaultPodSpec, validatePodSpec } from './common/podspec';
import { AGE_COLUMN, column, NAME_COLUMN, since } from './common/print';
import { podQOSClass } from './common/qos';
import { validateOnlyAddedTolerations } from './common/scheduling';
import { keepOldStatus, resourceOf, type FlotillaStrategy } from './common/strategy';
import { clone, ensureRec, isRecord, list, rec, recList, str, type Json } from './common/util';
import type { KubeObject } from './types';

const SPEC = FieldPath.root('spec');
const MAX_INT32 = 2147483647;

export const POD_UPDATE_FORBIDDEN_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,' +
  '`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function defaults(obj: KubeObject): void {
  const spec = (obj.spec ??= {});
  defaultPodSpec(spec, true);
  // A new pod starts Pending with its QoS class; later writes go through /status and keep both.
  const status = ensureRec(obj as Json, 'status');
  if (!status.phase) status.phase = 'Pending';
  if (!status.qosClass) status.qosClass = podQOSClass(spec);
}

function prepareForCreate(obj: KubeObject): void {
  obj.status = { phase: 'Pending', qosClass: podQOSClass(obj.spec) };
}

function validateCreate(obj: KubeObject): StatusCause[] {
  return [...validateObjectMeta(obj, { namespaced: true }), ...validatePodSpec(obj.spec, SPEC)];
}

/** Paths (below spec) whose values differ, for the message of a forbidden pod update. */
function changedPaths(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length >= 5 || deepEqual(a, b)) return;
  if (isRecord(a) && isRecord(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
      changedPaths(a[k], b[k], `${path}.${k}`, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => changedPaths(x, b[i], `${path}[${i}]`, out));
    return;
  }
  out.push(path);
}

function validateUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const out = validateObjectMetaUpdate(obj, old);
  const spec = (obj.spec ?? {}) as Json;
  const oldSpec = (old.spec ?? {}) as Json;

  for (const kind of ['containers', 'initContainers']) {
    list(spec[kind]).forEach((c, i) => {
      if (isRecord(c) && str(c.image) === '') out.push(required(SPEC.child(kind).index(i).child('image')));
    });
  }

  const ads = spec.activeDeadlineSeconds;
  const oldAds = oldSpec.activeDeadlineSeconds;
  if (typeof ads === 'number') {
    if (ads < 0 || ads > MAX_INT32) {
      out.push(
        invalid(SPEC.child('activeDeadlineSeconds'), ads, `must be between 0 and ${MAX_INT32}, inclusive`),
      );
    } else if (typeof oldAds === 'number' && oldAds < ads) {
      out.push(
        invalid(SPEC.child('activeDeadlineSeconds'), ads, 'must be less than or equal to previous value'),
      );
    }
  } else if (typeof oldAds === 'number') {
    out.push(
      invalid(
        SPEC.child('activeDeadlineSeconds'),
        null,
        'must not update from a positive integer to nil value',
      ),
    );
  }

  out.push(...validateOnlyAddedTolerations(spec.tolerations, oldSpec.tolerations, SPEC.child('tolerations')));

  if (deepEqual(spec, oldSpec)) return out;
  // Blank out what may change, then anything left that differs is a forbidden change.
  const munged = clone(spec);
  for (const kind of ['containers', 'initContainers']) {
    const next = recList(munged[kind]);
    const prev = recList(oldSpec[kind]);
    if (next.length === prev.length) next.forEach((c, i) => (c.image = prev[i]?.image));
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.tolerations = oldSpec.tolerations;
  const grace = oldSpec.terminationGracePeriodSeconds;
  if (typeof grace === 'number' && grace < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = grace;
  }
  if (!deepEqual(munged, oldSpec)) {
    const paths: string[] = [];
    changedPaths(munged, oldSpec, 'spec', paths);
    out.push(forbidden(SPEC, `${POD_UPDATE_FORBIDDEN_MESSAGE}\n  changed: ${paths.join(', ')}`));
  }
  return out;
}

// ---- printing (printPod) ----

function time(v: unknown): number {
  const t = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  return Number.isNaN(t) ? 0 : t;
}

function terminatedReason(t: Json, prefix = ''): string {
  if (str(t.reason)) return `${prefix}${str(t.reason)}`;
  const signal = t.signal;
  if (typeof signal === 'number' && signal !== 0) return `${prefix}Signal:${signal}`;
  return `${prefix}ExitCode:${typeof t.exitCode === 'number' ? t.exitCode : 0}`;
}

function conditionTrue(status: Json, type: string): boolean {
  return recList(status.conditions).some((c) => c.type === type && c.status === 'True');
}

/** Ready, Status and Restarts cells exactly as kubectl computes them. */
export function podStatusCells(
  obj: KubeObject,
  now: Date,
): { ready: string; status: string; restarts: string } {
  const spec = (obj.spec ?? {}) as Json;
  const status = (obj.status ?? {}) as Json;
  let restarts = 0;
  let restartableInitRestarts = 0;
  let total = list(spec.containers).length;
  let ready = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;
  const phase = str(status.phase);
  let reason = str(status.reason) || phase;

  for (const c of recList(status.conditions)) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }
  const initSpecs = new Map(recList(spec.initContainers).map((c) => [str(c.name), c]));
  const restartable = (name: string) => initSpecs.get(name)?.restartPolicy === 'Always';
  for (const c of initSpecs.values()) if (c.restartPolicy === 'Always') total++;

  let initializing = false;
  const initStatuses = recList(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i] as Json;
    const count = typeof cs.restartCount === 'number' ? cs.restartCount : 0;
    restarts += count;
    const lastTerminated = rec(rec(cs.lastState)?.terminated);
    if (lastTerminated) lastRestart = Math.max(lastRestart, time(lastTerminated.finishedAt));
    if (restartable(str(cs.name))) {
      restartableInitRestarts += count;
      if (lastTerminated)
        lastRestartableInitRestart = Math.max(lastRestartableInitRestart, time(lastTerminated.finishedAt));
    }
    const state = rec(cs.state) ?? {};
    const terminated = rec(state.terminated);
    const waiting = rec(state.waiting);
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (restartable(str(cs.name)) && cs.started === true) {
      if (cs.ready === true) ready++;
      continue;
    }
    if (terminated) reason = terminatedReason(terminated, 'Init:');
    else if (waiting && str(waiting.reason) && waiting.reason !== 'PodInitializing')
      reason = `Init:${str(waiting.reason)}`;
    else reason = `Init:${i}/${list(spec.initContainers).length}`;
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status, 'Initialized')) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = recList(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i] as Json;
      restarts += typeof cs.restartCount === 'number' ? cs.restartCount : 0;
      const lastTerminated = rec(rec(cs.lastState)?.terminated);
      if (lastTerminated) lastRestart = Math.max(lastRestart, time(lastTerminated.finishedAt));
      const state = rec(cs.state) ?? {};
      const waiting = rec(state.waiting);
      const terminated = rec(state.terminated);
      if (waiting && str(waiting.reason)) reason = str(waiting.reason);
      else if (terminated) reason = terminatedReason(terminated);
      else if (cs.ready === true && rec(state.running)) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning)
      reason = conditionTrue(status, 'Ready') ? 'Running' : 'NotReady';
  }

  const deleting = Boolean(obj.metadata?.deletionTimestamp);
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  let restartsCell = String(restarts);
  if (restarts !== 0 && lastRestart !== 0) {
    restartsCell = `${restarts} (${since(new Date(lastRestart).toISOString(), now)} ago)`;
  }
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsCell };
}

export function podIP(obj: KubeObject): string {
  const status = (obj.status ?? {}) as Json;
  const first = recList(status.podIPs)[0];
  return str(first?.ip) || str(status.podIP);
}

function row(obj: KubeObject, now: Date): unknown[] {
  const spec = (obj.spec ?? {}) as Json;
  const status = (obj.status ?? {}) as Json;
  const cells = podStatusCells(obj, now);
  const gates = recList(spec.readinessGates);
  let readinessGates = '<none>';
  if (gates.length > 0) {
    const trueCount = gates.filter(
      (g) => recList(status.conditions).find((c) => c.type === g.conditionType)?.status === 'True',
    ).length;
    readinessGates = `${trueCount}/${gates.length}`;
  }
  return [
    obj.metadata?.name ?? '',
    cells.ready,
    cells.status,
    cells.restarts,
    since(obj.metadata?.creationTimestamp, now),
    podIP(obj) || '<none>',
    str(spec.nodeName) || '<none>',
    str(status.nominatedNodeName) || '<none>',
    readinessGates,
  ];
}

const spec = (obj: KubeObject) => (obj.spec ?? {}) as Json;
const status = (obj: KubeObject) => (obj.status ?? {}) as Json;

export const podStrategy: FlotillaStrategy = {
  resource: resourceOf('', 'pods'),
  defaults,
  prepareForCreate,
  prepareForUpdate: keepOldStatus,
  validateCreate,
  validateUpdate,
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    AGE_COLUMN,
    column('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster.', 1),
    column('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
    column(
      'Nominated Node',
      'string',
      'nominatedNodeName is set when this pod preempts other pods on the node.',
      1,
    ),
    column(
      'Readiness Gates',
      'string',
      'If specified, all readiness gates will be evaluated for pod readiness.',
      1,
    ),
  ],
  row,
  fieldSelectors: {
    'spec.nodeName': (o) => str(spec(o).nodeName),
    'spec.restartPolicy': (o) => str(spec(o).restartPolicy),
    'spec.schedulerName': (o) => str(spec(o).schedulerName),
    'spec.serviceAccountName': (o) => str(spec(o).serviceAccountName),
    'spec.hostNetwork': (o) => String(spec(o).hostNetwork === true),
    'status.phase': (o) => str(status(o).phase),
    'status.podIP': (o) => podIP(o),
    'status.nominatedNodeName': (o) => str(status(o).nominatedNodeName),
  },
  generationOnSpecChange: false,
};
