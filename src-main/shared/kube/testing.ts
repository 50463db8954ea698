// An in-memory KubeApi for unit tests of informers, controllers and the UI: resourceVersions, watch
// with history (and 410 after `compact()`), generateName, generation bumps, merge and JSON patches,
// status subresource, label selectors, pods/binding. It is a test double, not a second API server:
// no validation, no defaulting, deletes are immediate.
import { parseLabelSelector, matchesLabels } from '../labels';
import type { ResourceInfo } from '../resources';
import { statusForCode } from './client';
import { deepCopy, jsonEqual, keyOf, objectKey } from './meta';
import { KubeApiError } from './types';
import type { KubeApi, KubeObjectLike, ListOptions, PatchType, WatchEvent, WatchOptions } from './types';

export type FakeVerb =
  'get' | 'list' | 'create' | 'update' | 'updateStatus' | 'patch' | 'delete' | 'watch' | 'createSubresource';

export interface FakeCall {
  verb: FakeVerb;
  resource: string;
  namespace?: string;
  name?: string;
  body?: unknown;
}

/** A reactor may throw to fail a call (e.g. a KubeApiError) or return nothing to let it proceed. */
export type FakeReactor = (call: FakeCall) => void;

export interface FakeKubeApi extends KubeApi {
  /** Every call, in order. */
  readonly calls: FakeCall[];
  /** Runs before each call; throw from it to inject failures. */
  reactors: FakeReactor[];
  /** Stored objects of a resource (copies). */
  objects<T extends KubeObjectLike>(r: ResourceInfo, namespace?: string): T[];
  /** Puts an object straight into the store (creating or replacing), emitting the watch event. */
  seed<T extends KubeObjectLike>(r: ResourceInfo, obj: T): T;
  /** Forgets watch history: a watch from an older RV then gets an ERROR 410 event. */
  compact(): void;
  /** Ends every open watch as if the connection dropped (the watch promise rejects). */
  dropWatches(): void;
  /** Number of open watches. */
  watchCount(): number;
  currentResourceVersion(): string;
}

interface Watcher {
  resource: string;
  options: WatchOptions;
  onEvent: (e: WatchEvent<KubeObjectLike>) => void;
  end: (err?: unknown) => void;
}

function rkey(r: ResourceInfo): string {
  return `${r.group}/${r.plural}`;
}

function fail(code: number, message: string): never {
  throw new KubeApiError(code, statusForCode(code, message));
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return deepCopy(patch);
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function pointer(path: string): string[] {
  return path
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function jsonPatch(doc: unknown, ops: { op: string; path: string; value?: unknown }[]): unknown {
  const root = deepCopy(doc) as Record<string, unknown>;
  for (const op of ops) {
    const parts = pointer(op.path);
    const last = parts.pop() as string;
    let parent: unknown = root;
    for (const p of parts) {
      parent = (parent as Record<string, unknown>)?.[p];
      if (parent === undefined) fail(422, `path ${op.path} not found`);
    }
    const container = parent as Record<string, unknown> & unknown[];
    switch (op.op) {
      case 'test':
        if (!jsonEqual(container[last as never], op.value)) fail(422, `test failed at ${op.path}`);
        break;
      case 'add':
        if (Array.isArray(container)) {
          if (last === '-') container.push(op.value);
          else container.splice(Number(last), 0, op.value);
        } else container[last as never] = deepCopy(op.value) as never;
        break;
      case 'replace':
        if (!(last in container)) fail(422, `path ${op.path} not found`);
        container[last as never] = deepCopy(op.value) as never;
        break;
      case 'remove':
        if (Array.isArray(container)) container.splice(Number(last), 1);
        else delete container[last as never];
        break;
      default:
        fail(422, `unsupported op ${op.op}`);
    }
  }
  return root;
}

export interface FakeKubeApiOptions {
  now?: () => Date;
  /** Delivers watch events this much later than the write (a lagging informer), keeping their order. */
  watchDelayMs?: number;
}

export function createFakeKubeApi(options: FakeKubeApiOptions = {}): FakeKubeApi {
  const now = options.now ?? (() => new Date());
  const stores = new Map<string, Map<string, KubeObjectLike>>();
  const history: { resource: string; event: WatchEvent<KubeObjectLike>; rv: number }[] = [];
  let compactedAt = 0;
  let rv = 1;
  let uid = 0;
  let nameSeq = 0;
  const watchers = new Set<Watcher>();
  const calls: FakeCall[] = [];
  const reactors: FakeReactor[] = [];

  const store = (r: ResourceInfo) => {
    let s = stores.get(rkey(r));
    if (!s) stores.set(rkey(r), (s = new Map()));
    return s;
  };

  function record(call: FakeCall): void {
    calls.push(call);
    for (const reactor of reactors) reactor(call);
  }

  function emit(r: ResourceInfo, type: WatchEvent<KubeObjectLike>['type'], obj: KubeObjectLike): void {
    const event = { type, object: deepCopy(obj) };
    const at = Number(obj.metadata?.resourceVersion);
    history.push({ resource: rkey(r), event, rv: at });
    for (const w of watchers) {
      if (w.resource !== rkey(r) || !matches(w.options, obj)) continue;
      if (options.watchDelayMs)
        setTimeout(() => watchers.has(w) && w.onEvent(deepCopy(event)), options.watchDelayMs);
      else w.onEvent(deepCopy(event));
    }
  }

  function matches(options: ListOptions, obj: KubeObjectLike): boolean {
    if (options.namespace && obj.metadata?.namespace !== options.namespace) return false;
    if (
      options.labelSelector &&
      !matchesLabels(parseLabelSelector(options.labelSelector), obj.metadata?.labels)
    )
      return false;
    if (options.fieldSelector) {
      for (const term of options.fieldSelector.split(',')) {
        const [field, value] = term.split('=');
        const actual = String(
          (field ?? '')
            .split('.')
            .reduce<unknown>((o, p) => (o as Record<string, unknown> | undefined)?.[p], obj) ?? '',
        );
        if (actual !== value) return false;
      }
    }
    return true;
  }

  function put(r: ResourceInfo, obj: KubeObjectLike, type: 'ADDED' | 'MODIFIED'): KubeObjectLike {
    const stored = deepCopy(obj);
    stored.metadata = { ...stored.metadata, resourceVersion: String(++rv) };
    store(r).set(objectKey(stored), stored);
    emit(r, type, stored);
    return deepCopy(stored);
  }

  function existing(r: ResourceInfo, name: string, namespace?: string): KubeObjectLike {
    const obj = store(r).get(keyOf(name, r.namespaced ? namespace : undefined));
    if (!obj) fail(404, `${r.plural} "${name}" not found`);
    return obj;
  }

  function replace(
    r: ResourceInfo,
    old: KubeObjectLike,
    next: KubeObjectLike,
    statusOnly: boolean,
  ): KubeObjectLike {
    const incomingRv = next.metadata?.resourceVersion;
    if (incomingRv && incomingRv !== old.metadata?.resourceVersion) {
      fail(
        409,
        `Operation cannot be fulfilled on ${r.plural} "${old.metadata?.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    let merged: KubeObjectLike;
    if (statusOnly) merged = { ...deepCopy(old), status: deepCopy(next.status) };
    else {
      merged = { ...deepCopy(next), ...(old.status !== undefined ? { status: deepCopy(old.status) } : {}) };
      merged.metadata = {
        ...next.metadata,
        uid: old.metadata?.uid,
        creationTimestamp: (old.metadata as Record<string, unknown>).creationTimestamp,
        generation: (old.metadata as Record<string, unknown>).generation,
      };
      if (!jsonEqual(old.spec, next.spec)) {
        merged.metadata.generation = Number((old.metadata as Record<string, unknown>).generation ?? 1) + 1;
      }
    }
    return put(r, merged, 'MODIFIED');
  }

  const api: FakeKubeApi = {
    calls,
    reactors,
    async get<T extends KubeObjectLike>(r: ResourceInfo, name: string, namespace?: string) {
      record({ verb: 'get', resource: r.plural, name, namespace });
      return deepCopy(existing(r, name, namespace)) as T;
    },
    async list<T extends KubeObjectLike>(r: ResourceInfo, opts: ListOptions = {}) {
      record({ verb: 'list', resource: r.plural, namespace: opts.namespace });
      const items = [...store(r).values()].filter((o) => matches(opts, o)).map((o) => deepCopy(o) as T);
      return { items, metadata: { resourceVersion: String(rv) } };
    },
    async create<T extends KubeObjectLike>(r: ResourceInfo, obj: T, namespace?: string) {
      const ns = r.namespaced ? (namespace ?? obj.metadata?.namespace ?? 'default') : undefined;
      record({ verb: 'create', resource: r.plural, namespace: ns, name: obj.metadata?.name, body: obj });
      const meta = { ...(obj.metadata ?? {}) } as Record<string, unknown>;
      if (!meta.name) {
        if (!meta.generateName) fail(422, 'name or generateName is required');
        meta.name = `${meta.generateName}${(++nameSeq).toString(36).padStart(5, 'x')}`;
      }
      if (ns) meta.namespace = ns;
      if (store(r).has(keyOf(meta.name as string, ns)))
        fail(409, `${r.plural} "${meta.name}" already exists`);
      meta.uid = `uid-${++uid}`;
      meta.creationTimestamp = now()
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z');
      if ((obj as KubeObjectLike).spec !== undefined) meta.generation = 1;
      delete meta.resourceVersion;
      return put(r, { ...deepCopy(obj), metadata: meta }, 'ADDED') as T;
    },
    async update<T extends KubeObjectLike>(r: ResourceInfo, obj: T) {
      record({
        verb: 'update',
        resource: r.plural,
        namespace: obj.metadata?.namespace,
        name: obj.metadata?.name,
        body: obj,
      });
      return replace(r, existing(r, obj.metadata?.name ?? '', obj.metadata?.namespace), obj, false) as T;
    },
    async updateStatus<T extends KubeObjectLike>(r: ResourceInfo, obj: T) {
      record({
        verb: 'updateStatus',
        resource: r.plural,
        namespace: obj.metadata?.namespace,
        name: obj.metadata?.name,
        body: obj,
      });
      return replace(r, existing(r, obj.metadata?.name ?? '', obj.metadata?.namespace), obj, true) as T;
    },
    async patch<T extends KubeObjectLike>(
      r: ResourceInfo,
      name: string,
      namespace: string | undefined,
      patch: unknown,
      type: PatchType = 'merge',
      subresource?: 'status' | 'scale',
    ) {
      record({ verb: 'patch', resource: r.plural, namespace, name, body: patch });
      const old = existing(r, name, namespace);
      const next = (
        type === 'json' ? jsonPatch(old, patch as never) : mergePatch(old, patch)
      ) as KubeObjectLike;
      if (subresource === 'status') return replace(r, old, { ...old, status: next.status }, true) as T;
      const { status: _ignored, ...rest } = next;
      void _ignored;
      return replace(
        r,
        old,
        { ...rest, metadata: { ...next.metadata, resourceVersion: old.metadata?.resourceVersion } },
        false,
      ) as T;
    },
    async delete(r, name, namespace) {
      record({ verb: 'delete', resource: r.plural, namespace, name });
      const old = existing(r, name, namespace);
      store(r).delete(objectKey(old));
      const gone = { ...deepCopy(old), metadata: { ...old.metadata, resourceVersion: String(++rv) } };
      emit(r, 'DELETED', gone);
    },
    async createSubresource(r, name, namespace, subresource, body) {
      record({ verb: 'createSubresource', resource: `${r.plural}/${subresource}`, namespace, name, body });
      const old = existing(r, name, namespace);
      if (subresource === 'binding') {
        const target = (body as { target?: { name?: string } }).target?.name;
        const next = deepCopy(old) as KubeObjectLike & { spec?: Record<string, unknown> };
        next.spec = { ...(next.spec ?? {}), nodeName: target };
        put(r, next, 'MODIFIED');
        return { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201, metadata: {} };
      }
      return fail(404, `subresource ${subresource} not supported by the fake`);
    },
    watch<T extends KubeObjectLike>(
      r: ResourceInfo,
      options: WatchOptions,
      onEvent: (e: WatchEvent<T>) => void,
    ) {
      record({ verb: 'watch', resource: r.plural, namespace: options.namespace });
      return new Promise<void>((resolve, reject) => {
        const from = Number(options.resourceVersion ?? rv);
        if (options.resourceVersion && from < compactedAt) {
          onEvent({
            type: 'ERROR',
            object: {
              ...statusForCode(410, `too old resource version: ${from} (${compactedAt})`),
              reason: 'Expired',
            } as never,
          });
          return resolve();
        }
        const watcher: Watcher = {
          resource: rkey(r),
          options,
          onEvent: onEvent as never,
          end: (err) => {
            watchers.delete(watcher);
            if (err) reject(err);
            else resolve();
          },
        };
        for (const h of history)
          if (h.resource === rkey(r) && h.rv > from && matches(options, h.event.object))
            onEvent(deepCopy(h.event) as never);
        if (options.signal?.aborted) return resolve();
        watchers.add(watcher);
        options.signal?.addEventListener('abort', () => watcher.end(), { once: true });
      });
    },
    objects<T extends KubeObjectLike>(r: ResourceInfo, namespace?: string) {
      return [...store(r).values()]
        .filter((o) => !namespace || o.metadata?.namespace === namespace)
        .map((o) => deepCopy(o) as T);
    },
    seed<T extends KubeObjectLike>(r: ResourceInfo, obj: T) {
      const isNew = !store(r).has(objectKey(obj));
      const meta = { uid: `uid-${++uid}`, creationTimestamp: now().toISOString(), ...obj.metadata };
      return put(r, { ...obj, metadata: meta }, isNew ? 'ADDED' : 'MODIFIED') as T;
    },
    compact() {
      compactedAt = rv;
      history.length = 0;
    },
    dropWatches() {
      for (const w of [...watchers]) w.end(new Error('connection reset (fake)'));
    },
    watchCount: () => watchers.size,
    currentResourceVersion: () => String(rv),
  };
  return api;
}

/** Waits until `check` returns a truthy value, polling every `intervalMs`; throws with `what` after the deadline. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 5000,
  intervalMs = 5,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
