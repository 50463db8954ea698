// Deployments (apps/v1).
import type { StatusCause } from '../../../shared/status';
import { labelSelectorFromObject, selectorToString, type LabelSelectorObject } from '../../../shared/labels';
import {
  forbidden,
  invalid,
  notSupported,
  required,
  validateNonnegative,
  validatePositive,
} from './common/field';
import { intOrPercentValue, isNotMoreThan100Percent, validatePositiveIntOrPercent } from './common/intstr';
import { validateObjectMeta, validateObjectMetaUpdate } from './common/meta';
import { defaultPodTemplate } from './common/podspec';
import {
  AGE_COLUMN,
  column,
  CONTAINERS_COLUMN,
  containerCells,
  IMAGES_COLUMN,
  NAME_COLUMN,
  since,
} from './common/print';
import { resourceOf, type FlotillaStrategy } from './common/strategy';
import { ensureRec, rec, setDefault, type Json } from './common/util';
import { int, SPEC, validateSelector, validateSelectorImmutable, validateTemplate } from './common/workload';
import type { KubeObject } from './types';

function defaults(obj: KubeObject): void {
  const spec = (obj.spec ??= {});
  setDefault(spec, 'replicas', 1);
  const strategy = ensureRec(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = ensureRec(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplate(spec.template);
}

function validateStrategy(strategy: Json): StatusCause[] {
  const path = SPEC.child('strategy');
  const out: StatusCause[] = [];
  switch (strategy.type) {
    case 'Recreate':
      if (strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) {
        out.push(
          forbidden(path.child('rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'"),
        );
      }
      break;
    case 'RollingUpdate': {
      const ru = rec(strategy.rollingUpdate);
      if (!ru) {
        out.push(required(path.child('rollingUpdate'), 'this should be defaulted and never be nil'));
        break;
      }
      const rp = path.child('rollingUpdate');
      out.push(...validatePositiveIntOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')));
      out.push(...validatePositiveIntOrPercent(ru.maxSurge, rp.child('maxSurge')));
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        out.push(invalid(rp.child('maxUnavailable'), ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
      }
      out.push(...isNotMoreThan100Percent(ru.maxUnavailable, rp.child('maxUnavailable')));
      break;
    }
    default:
      out.push(notSupported(path, strategy, ['Recreate', 'RollingUpdate']));
  }
  return out;
}

function validateSpec(spec: Json): StatusCause[] {
  const out: StatusCause[] = [
    ...validateNonnegative(spec.replicas, SPEC.child('replicas')),
    ...validateSelector(spec, 'deployment'),
    ...validateTemplate(spec, 'ReplicaSet'),
    ...validateStrategy(rec(spec.strategy) ?? {}),
    ...validateNonnegative(spec.minReadySeconds, SPEC.child('minReadySeconds')),
    ...validateNonnegative(spec.revisionHistoryLimit, SPEC.child('revisionHistoryLimit')),
  ];
  const pds = spec.progressDeadlineSeconds;
  if (typeof pds === 'number') {
    out.push(...validatePositive(pds, SPEC.child('progressDeadlineSeconds')));
    if (pds <= int(spec.minReadySeconds)) {
      out.push(invalid(SPEC.child('progressDeadlineSeconds'), pds, 'must be greater than minReadySeconds'));
    }
  }
  return out;
}

const specOf = (o: KubeObject) => (o.spec ?? {}) as Json;
const statusOf = (o: KubeObject) => (o.status ?? {}) as Json;

function selectorCell(selector: unknown): string {
  try {
    return selectorToString(labelSelectorFromObject(rec(selector) as LabelSelectorObject | undefined));
  } catch {
    return '<invalid>';
  }
}

export const deploymentStrategy: FlotillaStrategy = {
  resource: resourceOf('apps', 'deployments'),
  defaults,
  validateCreate: (obj) => [...validateObjectMeta(obj, { namespaced: true }), ...validateSpec(specOf(obj))],
  validateUpdate: (obj, old) => [
    ...validateObjectMetaUpdate(obj, old),
    ...validateSpec(specOf(obj)),
    ...validateSelectorImmutable(specOf(obj), specOf(old)),
  ],
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Number of the pod with ready state'),
    column(
      'Up-to-date',
      'string',
      'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
    ),
    column(
      'Available',
      'string',
      'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
    ),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column(
      'Selector',
      'string',
      'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
      1,
    ),
  ],
  row(obj, now) {
    const spec = specOf(obj);
    const status = statusOf(obj);
    const [names, images] = containerCells(rec(rec(spec.template)?.spec)?.containers);
    return [
      obj.metadata?.name ?? '',
      `${int(status.readyReplicas)}/${int(spec.replicas)}`,
      int(status.updatedReplicas),
      int(status.availableReplicas),
      since(obj.metadata?.creationTimestamp, now),
      names,
      images,
      selectorCell(spec.selector),
    ];
  },
  generationOnSpecChange: true,
  scale: { specReplicas: 'spec.replicas', statusReplicas: 'status.replicas', labelSelector: 'spec.selector' },
};
