// ReplicaSets (apps/v1).
import type { StatusCause } from '../../../shared/status';
import { formatLabelSelector, type LabelSelectorObject } from '../../../shared/labels';
import { validateNonnegative } from './common/field';
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
import { rec, setDefault, type Json } from './common/util';
import { int, SPEC, validateSelector, validateSelectorImmutable, validateTemplate } from './common/workload';
import type { KubeObject } from './types';

function defaults(obj: KubeObject): void {
  const spec = (obj.spec ??= {});
  setDefault(spec, 'replicas', 1);
  defaultPodTemplate(spec.template);
}

function validateSpec(spec: Json): StatusCause[] {
  return [
    ...validateNonnegative(spec.replicas, SPEC.child('replicas')),
    ...validateNonnegative(spec.minReadySeconds, SPEC.child('minReadySeconds')),
    // Kubernetes' own wording for ReplicaSets says "deployment" too.
    ...validateSelector(spec, 'deployment'),
    ...validateTemplate(spec, 'ReplicaSet'),
  ];
}

const specOf = (o: KubeObject) => (o.spec ?? {}) as Json;
const statusOf = (o: KubeObject) => (o.status ?? {}) as Json;

export const replicaSetStrategy: FlotillaStrategy = {
  resource: resourceOf('apps', 'replicasets'),
  defaults,
  validateCreate: (obj) => [...validateObjectMeta(obj, { namespaced: true }), ...validateSpec(specOf(obj))],
  validateUpdate: (obj, old) => [
    ...validateObjectMetaUpdate(obj, old),
    ...validateSpec(specOf(obj)),
    ...validateSelectorImmutable(specOf(obj), specOf(old)),
  ],
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'Replicas is the number of desired pods.'),
    column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
    column('Ready', 'integer', 'The number of ready replicas for this replica set.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column(
      'Selector',
      'string',
      'Selector is a label query over pods that should match the replica count.',
      1,
    ),
  ],
  row(obj, now) {
    const spec = specOf(obj);
    const status = statusOf(obj);
    const [names, images] = containerCells(rec(rec(spec.template)?.spec)?.containers);
    return [
      obj.metadata?.name ?? '',
      int(spec.replicas),
      int(status.replicas),
      int(status.readyReplicas),
      since(obj.metadata?.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(rec(spec.selector) as LabelSelectorObject | undefined),
    ];
  },
  fieldSelectors: {
    'status.replicas': (o) => String(int(statusOf(o).replicas)),
  },
  generationOnSpecChange: true,
  scale: { specReplicas: 'spec.replicas', statusReplicas: 'status.replicas', labelSelector: 'spec.selector' },
};
