// ReplicaSets (apps/v1).
import { validateNonnegative } from './common/field';
import { column } from './common/print';
import { setDefault } from './common/util';
import { int, SPEC, validateSelector, validateTemplate } from './common/workload';
import { workloadStrategy } from './common/workload-strategy';

export const replicaSetStrategy = workloadStrategy({
  plural: 'replicasets',
  defaultSpec: (spec) => setDefault(spec, 'replicas', 1),
  validateSpec: (spec) => [
    ...validateNonnegative(spec.replicas, SPEC.child('replicas')),
    ...validateNonnegative(spec.minReadySeconds, SPEC.child('minReadySeconds')),
    // Kubernetes' own wording for ReplicaSets says "deployment" too.
    ...validateSelector(spec, 'deployment'),
    ...validateTemplate(spec, 'ReplicaSet'),
  ],
  columns: [
    column('Desired', 'integer', 'Replicas is the number of desired pods.'),
    column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
    column('Ready', 'integer', 'The number of ready replicas for this replica set.'),
  ],
  cells: (spec, status) => [int(spec.replicas), int(status.replicas), int(status.readyReplicas)],
  selectorDescription: 'Selector is a label query over pods that should match the replica count.',
  fieldSelectors: {
    'status.replicas': (o) => String(int((o.status ?? {}).replicas)),
  },
  scalable: true,
});
