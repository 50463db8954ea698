// The strategy of an apps/v1 workload (ReplicaSet, Deployment, DaemonSet), built from what differs between
// them. Shared: the pod template is defaulted; create validates metadata and spec, update also keeps the
// selector immutable; spec changes bump the generation (and main-resource writes keep status); the table
// is Name, the kind's own columns, Age, then Containers, Images and Selector in the wide view.
import { formatLabelSelector, type LabelSelectorObject } from '../../../../shared/labels';
import type { StatusCause } from '../../../../shared/status';
import type { KubeObject, TableColumn } from '../types';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta';
import { defaultPodTemplate } from './podspec';
import {
  AGE_COLUMN,
  column,
  CONTAINERS_COLUMN,
  containerCells,
  IMAGES_COLUMN,
  NAME_COLUMN,
  since,
} from './print';
import { resourceOf, type FlotillaStrategy } from './strategy';
import { ensureRec, rec, setDefault, type Json } from './util';
import { validateSelectorImmutable } from './workload';

export interface WorkloadKind {
  plural: 'replicasets' | 'deployments' | 'daemonsets';
  /** The kind's own spec defaults, applied before the pod template's. */
  defaultSpec?(spec: Json): void;
  validateSpec(spec: Json): StatusCause[];
  /** The columns between Name and Age, and their cells. */
  columns: TableColumn[];
  cells(spec: Json, status: Json): unknown[];
  /** The wide Selector column's description. */
  selectorDescription: string;
  /** Kubernetes prints some kinds' selectors differently; the default is metav1.FormatLabelSelector. */
  selectorCell?(selector: unknown): string;
  fieldSelectors?: FlotillaStrategy['fieldSelectors'];
  /** Whether the kind has the scale subresource (on spec.replicas). */
  scalable?: boolean;
}

const specOf = (o: KubeObject) => (o.spec ?? {}) as Json;
const statusOf = (o: KubeObject) => (o.status ?? {}) as Json;

export function workloadStrategy(kind: WorkloadKind): FlotillaStrategy {
  const selectorCell =
    kind.selectorCell ?? ((s: unknown) => formatLabelSelector(rec(s) as LabelSelectorObject | undefined));
  return {
    resource: resourceOf('apps', kind.plural),
    defaults(obj) {
      const spec = (obj.spec ??= {});
      kind.defaultSpec?.(spec);
      defaultPodTemplate(spec.template);
    },
    validateCreate: (obj) => [
      ...validateObjectMeta(obj, { namespaced: true }),
      ...kind.validateSpec(specOf(obj)),
    ],
    validateUpdate: (obj, old) => [
      ...validateObjectMetaUpdate(obj, old),
      ...kind.validateSpec(specOf(obj)),
      ...validateSelectorImmutable(specOf(obj), specOf(old)),
    ],
    columns: [
      NAME_COLUMN,
      ...kind.columns,
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      column('Selector', 'string', kind.selectorDescription, 1),
    ],
    row(obj, now) {
      const spec = specOf(obj);
      const [names, images] = containerCells(rec(rec(spec.template)?.spec)?.containers);
      return [
        obj.metadata?.name ?? '',
        ...kind.cells(spec, statusOf(obj)),
        since(obj.metadata?.creationTimestamp, now),
        names,
        images,
        selectorCell(spec.selector),
      ];
    },
    ...(kind.fieldSelectors ? { fieldSelectors: kind.fieldSelectors } : {}),
    generationOnSpecChange: true,
    ...(kind.scalable
      ? {
          scale: {
            specReplicas: 'spec.replicas',
            statusReplicas: 'status.replicas',
            labelSelector: 'spec.selector',
          },
        }
      : {}),
  };
}

/**
 * Defaults an update strategy field (`strategy` of a Deployment, `updateStrategy` of a DaemonSet): type
 * RollingUpdate, and for that type the kind's maxUnavailable and maxSurge.
 */
export function defaultRollingUpdate(
  spec: Json,
  field: 'strategy' | 'updateStrategy',
  limits: { maxUnavailable: number | string; maxSurge: number | string },
): void {
  const strategy = ensureRec(spec, field);
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = ensureRec(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', limits.maxUnavailable);
    setDefault(ru, 'maxSurge', limits.maxSurge);
  }
}
