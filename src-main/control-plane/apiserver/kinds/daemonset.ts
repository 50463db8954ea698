// DaemonSets (apps/v1).
import type { StatusCause } from '../../../shared/status';
import { formatLabels } from '../../../shared/labels';
import { invalid, notSupported, required, validateNonnegative } from './common/field';
import { intOrPercentValue, isNotMoreThan100Percent, validatePositiveIntOrPercent } from './common/intstr';
import { column } from './common/print';
import { rec, setDefault, strMap, type Json } from './common/util';
import { int, SPEC, validateSelector, validateTemplate } from './common/workload';
import { defaultRollingUpdate, workloadStrategy } from './common/workload-strategy';

function validateUpdateStrategy(strategy: Json): StatusCause[] {
  const path = SPEC.child('updateStrategy');
  const out: StatusCause[] = [];
  switch (strategy.type) {
    case 'OnDelete':
      break;
    case 'RollingUpdate': {
      const ru = rec(strategy.rollingUpdate);
      if (!ru) return [required(path.child('rollingUpdate'))];
      const rp = path.child('rollingUpdate');
      out.push(...validatePositiveIntOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')));
      out.push(...validatePositiveIntOrPercent(ru.maxSurge, rp.child('maxSurge')));
      out.push(...isNotMoreThan100Percent(ru.maxUnavailable, rp.child('maxUnavailable')));
      out.push(...isNotMoreThan100Percent(ru.maxSurge, rp.child('maxSurge')));
      const hasUnavailable = (intOrPercentValue(ru.maxUnavailable) || 0) !== 0;
      const hasSurge = (intOrPercentValue(ru.maxSurge) || 0) !== 0;
      if (hasUnavailable && hasSurge) {
        out.push(
          invalid(rp.child('maxSurge'), ru.maxSurge, 'may not be set when maxUnavailable is non-zero'),
        );
      } else if (!hasUnavailable && !hasSurge) {
        out.push(required(rp.child('maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
      }
      break;
    }
    default:
      out.push(notSupported(path, strategy, ['RollingUpdate', 'OnDelete']));
  }
  return out;
}

export const daemonSetStrategy = workloadStrategy({
  plural: 'daemonsets',
  defaultSpec(spec) {
    defaultRollingUpdate(spec, 'updateStrategy', { maxUnavailable: 1, maxSurge: 0 });
    setDefault(spec, 'revisionHistoryLimit', 10);
  },
  validateSpec: (spec) => [
    ...validateSelector(spec, 'daemonset'),
    ...validateTemplate(spec, 'DaemonSet'),
    ...validateNonnegative(spec.minReadySeconds, SPEC.child('minReadySeconds')),
    ...validateNonnegative(spec.templateGeneration, SPEC.child('templateGeneration')),
    ...validateUpdateStrategy(rec(spec.updateStrategy) ?? {}),
    ...validateNonnegative(spec.revisionHistoryLimit, SPEC.child('revisionHistoryLimit')),
  ],
  columns: [
    column('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
    column(
      'Current',
      'integer',
      'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.',
    ),
    column(
      'Ready',
      'integer',
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
    ),
    column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod.'),
    column(
      'Available',
      'integer',
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.',
    ),
    column(
      'Node Selector',
      'string',
      'NodeSelector is a selector which must be true for the pod to fit on a node.',
    ),
  ],
  cells: (spec, status) => [
    int(status.desiredNumberScheduled),
    int(status.currentNumberScheduled),
    int(status.numberReady),
    int(status.updatedNumberScheduled),
    int(status.numberAvailable),
    formatLabels(strMap(rec(rec(spec.template)?.spec)?.nodeSelector)),
  ],
  selectorDescription: 'A label query over pods that are managed by the daemon set.',
});
