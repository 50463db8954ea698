// A kind's strategy: what the API server needs to know about one kind beyond its path — how to
// default it, validate it, print it as a table row, and which fields can be selected. The generic
// REST handlers do everything else, so a new kind is a declaration, not a copy of handlers.
import type { ResourceInfo } from '../../../shared/resources';
import type { StatusCause } from '../../../shared/status';

// Objects are plain JSON; strategies read them through these loose shapes.
export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: Record<string, unknown> | undefined;
  status?: Record<string, unknown> | undefined;
  [field: string]: unknown;
};

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** A column of a `meta.k8s.io/v1 Table` (what `kubectl get` prints). priority 1 = only with `-o wide`. */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description?: string;
  priority?: number;
}

export interface ScaleInfo {
  /** JSON paths of the replica counts and selector used by the scale subresource. */
  specReplicas: 'spec.replicas';
  statusReplicas: 'status.replicas';
  labelSelector: 'spec.selector';
}

export interface KindStrategy {
  resource: ResourceInfo;

  /** Fills in defaults, in place, on an object the server owns (a fresh copy). Runs on create and update. */
  defaults?(obj: KubeObject): void;

  /** Clears what a client may not set on create (e.g. a Pod's status) and fills server-owned fields. */
  prepareForCreate?(obj: KubeObject): void;
  /**
   * Carries over what a main-resource update may not change (status, a Service's allocated cluster IPs
   * and node ports when the client left them out). Not called for status-subresource writes.
   */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;

  /**
   * For writes through a status-like subresource: `obj` is the stored object with the client's status.
   * Puts back what that subresource may not change (a CSR's /status keeps its approval conditions,
   * its /approval keeps the certificate).
   */
  prepareForStatusUpdate?(obj: KubeObject, old: KubeObject, subresource: 'status' | 'approval'): void;

  /** Semantic validation (after type checking) of a new object. Field paths like `spec.containers[0].image`. */
  validateCreate?(obj: KubeObject): StatusCause[];
  /** Validation of an update, including immutable fields (`spec.selector: Invalid value: …: field is immutable`). */
  validateUpdate?(obj: KubeObject, old: KubeObject): StatusCause[];

  /** Table columns; the first is conventionally `Name`. */
  columns: TableColumn[];
  /** One row's cells, in column order. `now` makes ages deterministic in tests. */
  row(obj: KubeObject, now: Date): unknown[];

  /**
   * Field selectors this kind supports besides `metadata.name` and `metadata.namespace`
   * (e.g. pods: `spec.nodeName`, `status.phase`). Returns the field's value as a string.
   */
  fieldSelectors?: Record<string, (obj: KubeObject) => string | undefined>;

  /**
   * True if `spec` changes bump `metadata.generation` (Deployments, ReplicaSets, DaemonSets...).
   * The server then also keeps `status` unchanged on main-resource updates.
   */
  generationOnSpecChange?: boolean;

  /** The scale subresource, for kinds that have one. */
  scale?: ScaleInfo;
}
