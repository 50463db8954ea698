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
import { column } from './common/print';
import { rec, setDefault, type Json } from './common/util';
import { int, SPEC, validateSelector, validateTemplate } from './common/workload';
import { defaultRollingUpdate, workloadStrategy } from './common/workload-strategy';

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

export const deploymentStrategy = workloadStrategy({
  plural: 'deployments',
  defaultSpec(spec) {
    setDefault(spec, 'replicas', 1);
    defaultRollingUpdate(spec, 'strategy', { maxUnavailable: '25%', maxSurge: '25%' });
    setDefault(spec, 'revisionHistoryLimit', 10);
    setDefault(spec, 'progressDeadlineSeconds', 600);
  },
  validateSpec,
  columns: [
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
  ],
  cells: (spec, status) => [
    `${int(status.readyReplicas)}/${int(spec.replicas)}`,
    int(status.updatedReplicas),
    int(status.availableReplicas),
  ],
  selectorDescription:
    'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
  // printDeployment prints the parsed selector (empty for an empty one), not FormatLabelSelector.
  selectorCell(selector) {
    try {
      return selectorToString(labelSelectorFromObject(rec(selector) as LabelSelectorObject | undefined));
    } catch {
      return '<invalid>';
    }
  },
  scalable: true,
});
