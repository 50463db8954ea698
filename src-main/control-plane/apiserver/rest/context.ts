// What every REST handler needs: the store (writes), the watch cache (reads, watches), the clock, the
// per-kind strategies and the schema layer. Passed in, so tests can substitute the clock or store.
import type { ResourceInfo } from '../../../shared/resources';
import type { StatusCause } from '../../../shared/status';
import type { Store } from '../../store/types';
import type { KindStrategy, KubeObject } from '../kinds/types';
import type { WatchCache } from '../storage/watch-cache';

export type { Logger } from '../../../platform/logger';
import type { Logger } from '../../../platform/logger';

export interface SchemaLayer {
  /** OpenAPI definition name of a kind (`io.k8s.api.core.v1.Pod`), if the schema knows it. */
  definitionFor(r: ResourceInfo): string | undefined;
  /** Type-checks `obj` and, in the same pass, drops unknown and null fields (as decoding does). */
  checkAndPrune(definition: string, obj: unknown): { errors: StatusCause[]; unknownFields: string[] };
  /** The patch functions throw an ApiError (400, with the failing path) on a bad patch. */
  jsonMergePatch(target: unknown, patch: unknown): unknown;
  jsonPatch(target: unknown, operations: unknown): unknown;
  strategicMergePatch(target: unknown, patch: unknown, definition: string): unknown;
}

/**
 * Side effects a kind needs around its writes beyond the object itself (e.g. reserving a Service's
 * cluster IP and node ports). Called only for real (not dry-run) writes of the main resource.
 */
export interface RestHooks {
  /** Mutating admission of a new object, after defaults and before validation. */
  admitCreate?(obj: KubeObject): void;
  /** Before the object is stored; may fill fields in. Returns the undo, run if the store write fails. */
  beforeCreate?(obj: KubeObject): Promise<() => Promise<void>>;
  /** Before an update is stored: `rollback` if it is not, `commit` once it is. */
  beforeUpdate?(
    next: KubeObject,
    old: KubeObject,
  ): Promise<{ rollback(): Promise<void>; commit(): Promise<void> }>;
  /** After the object has left the store. */
  afterDelete?(obj: KubeObject): Promise<void>;
}

export interface RestContext {
  store: Store;
  cache: WatchCache;
  clock: () => Date;
  strategy(r: ResourceInfo): KindStrategy;
  hooks(r: ResourceInfo): RestHooks | undefined;
  resources: readonly ResourceInfo[];
  schema: SchemaLayer;
  log: Logger;
  /** How often watches that asked for bookmarks get one. */
  bookmarkIntervalMs: number;
}
