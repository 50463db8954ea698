// DaemonSets (apps/v1).
import type { StatusCause } from '../../../shared/status';
import { formatLabels, formatLabelSelector, type LabelSelectorObject } from '../../../shared/labels';
import { invalid, notSupported, required, validateNonnegative } from './common/field';
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
import { ensureRec, rec, setDefault, strMap, type Json } from './common/util';
import { int, SPEC, validateSelector, validateSelectorImmutable, validateTemplate } from './common/workload';
import type { KubeObject } from './types';

function defaults(obj: KubeObject): void {
  const spec = (obj.spec ??= {});
  const strategy = ensureRec(spec, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = ensureRec(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', 1);
    setDefault(ru, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(spec.template);
}

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

function validateSpec(spec: Json): StatusCause[] {
  return [
    ...validateSelector(spec, 'daemonset'),
    ...validateTemplate(spec, 'DaemonSet'),
    ...validateNonnegative(spec.minReadySeconds, SPEC.child('minReadySeconds')),
    ...validateNonnegative(spec.templateGeneration, SPEC.child('templateGeneration')),
    ...validateUpdateStrategy(rec(spec.updateStrategy) ?? {}),
    ...validateNonnegative(spec.revisionHistoryLimit, SPEC.child('revisionHistoryLimit')),
  ];
}

const specOf = (o: KubeObject) => (o.spec ?? {}) as Json;
const statusOf = (o: KubeObject) => (o.status ?? {}) as Json;

export const daemonSetStrategy: FlotillaStrategy = {
  resource: resourceOf('apps', 'daemonsets'),
  defaults,
  validateCreate: (obj) => [...validateObjectMeta(obj, { namespaced: true }), ...validateSpec(specOf(obj))],
  validateUpdate: (obj, old) => [
    ...validateObjectMetaUpdate(obj, old),
    ...validateSpec(specOf(obj)),
    ...validateSelectorImmutable(specOf(obj), specOf(old)),
  ],
  columns: [
    NAME_COLUMN,
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
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', 'A label query over pods that are managed by the daemon set.', 1),
  ],
  row(obj, now) {
    const spec = specOf(obj);
    const status = statusOf(obj);
    const podSpec = rec(rec(spec.template)?.spec) ?? {};
    const [names, images] = containerCells(podSpec.containers);
    return [
      obj.metadata?.name ?? '',
      int(status.desiredNumberScheduled),
      int(status.currentNumberScheduled),
      int(status.numberReady),
      int(status.updatedNumberScheduled),
      int(status.numberAvailable),
      formatLabels(strMap(podSpec.nodeSelector)),
      since(obj.metadata?.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(rec(spec.selector) as LabelSelectorObject | undefined),
    ];
  },
  generationOnSpecChange: true,
};
