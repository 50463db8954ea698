// Subresources with their own shapes: scale (autoscaling/v1 Scale), pods/binding (the scheduler's
// write) and namespaces/finalize (the namespace controller's). status is the generic update path
// with part='status' and lives in write.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { labelSelectorFromObject, selectorToString } from '../../../shared/labels';
import type { LabelSelectorObject } from '../../../shared/labels';
import type { ResourceInfo } from '../../../shared/resources';
import { isStoreError } from '../../store/types';
import { errors } from '../errors';
import { mediaType, parseObjectBody, readBody, sendJson } from '../http';
import type { KindStrategy, KubeObject } from '../kinds/types';
import type { ResourceRequest } from '../request-info';
import { objectKey } from '../storage/keys';
import type { CachedObject } from '../storage/watch-cache';
import type { RestContext } from './context';
import { expectKind, readObject } from './decode';
import { clone, isPlainObject, timestamp } from './objects';
import { getObject } from './read';
import {
  applyPatch,
  commitUpdate,
  deleteObject,
  guaranteedUpdate,
  isDryRun,
  parseDeleteOptions,
  patchTypeOf,
} from './write';

const SCALE_RESOURCE = { group: 'autoscaling', version: 'v1', kind: 'Scale' } as const;

export function toScale(obj: KubeObject): KubeObject {
  const meta = obj.metadata ?? {};
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: unknown };
  const status = (obj.status ?? {}) as { replicas?: number };
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
      creationTimestamp: meta.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: {
      replicas: status.replicas ?? 0,
      selector: isPlainObject(spec.selector)
        ? selectorToString(labelSelectorFromObject(spec.selector as LabelSelectorObject))
        : '',
    },
  };
}

export async function handleScale(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  info: ResourceRequest,
  r: ResourceInfo,
  strategy: KindStrategy,
): Promise<void> {
  const name = info.name!;
  if (info.verb === 'get') {
    sendJson(res, 200, toScale((await getObject(ctx, r, name, info.namespace)).obj));
    return;
  }
  const dryRun = isDryRun(info.query);
  let body: unknown;
  let patchType: ReturnType<typeof patchTypeOf> | undefined;
  if (info.verb === 'update') body = expectKind(await readObject(req), r, 'Scale', 'autoscaling/v1');
  else {
    patchType = patchTypeOf(mediaType(req));
    body = parseObjectBody(await readBody(req), 'application/json');
  }
  const updated = await guaranteedUpdate(
    ctx,
    r,
    strategy,
    name,
    info.namespace,
    'main',
    dryRun,
    (current) => {
      const scale = toScale(current.obj);
      const wanted = patchType
        ? applyPatch(ctx, r, patchType === 'strategic' ? 'merge' : patchType, scale, body)
        : (body as KubeObject);
      const replicas = (wanted.spec as { replicas?: unknown } | undefined)?.replicas;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        throw errors.invalid('Scale', { group: SCALE_RESOURCE.group, name }, [
          {
            reason: 'FieldValueInvalid',
            field: 'spec.replicas',
            message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
          },
        ]);
      }
      const next = clone(current.obj);
      next.spec = { ...next.spec, replicas };
      const pinned = wanted.metadata?.resourceVersion;
      if (pinned !== undefined && pinned !== scale.metadata!.resourceVersion)
        next.metadata!.resourceVersion = pinned;
      else delete next.metadata!.resourceVersion;
      return next;
    },
  );
  sendJson(res, 200, toScale(updated));
}

/** Updates an object without the user-facing validation (for writes that only the system makes). */
async function systemUpdate(
  ctx: RestContext,
  r: ResourceInfo,
  name: string,
  namespace: string | undefined,
  mutate: (current: CachedObject) => KubeObject,
): Promise<KubeObject> {
  const key = objectKey(r, name, namespace);
  for (let attempt = 0; ; attempt++) {
    if (attempt === 0) await ctx.cache.sync();
    const current = ctx.cache.cacheFor(r).get(key);
    if (!current) throw errors.notFound({ group: r.group, kind: r.plural, name });
    const next = mutate(current);
    delete next.metadata!.resourceVersion;
    try {
      return await commitUpdate(ctx, r, current, next);
    } catch (err) {
      if (!isStoreError(err, 'Conflict') || attempt >= 8) throw err;
      await ctx.cache.waitFor(err.current?.modRevision ?? 0);
    }
  }
}

export async function handleBinding(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  info: ResourceRequest,
  r: ResourceInfo,
): Promise<void> {
  const body = expectKind(await readObject(req), r, 'Binding', 'v1');
  const targetNode = (body.target as { name?: unknown } | undefined)?.name;
  if (typeof targetNode !== 'string' || targetNode === '') {
    throw errors.invalid('Binding', { name: info.name! }, [
      { reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' },
    ]);
  }
  const name = info.name!;
  await systemUpdate(ctx, r, name, info.namespace, (current) => {
    const pod = clone(current.obj);
    const spec = (pod.spec ?? {}) as { nodeName?: string };
    if (pod.metadata?.deletionTimestamp) {
      throw errors.conflict({ kind: 'pods', name }, 'pod is being deleted, cannot be assigned to a host');
    }
    if (spec.nodeName) {
      throw errors.conflict(
        { kind: 'pods', name },
        `pod ${name} is already assigned to node "${spec.nodeName}"`,
      );
    }
    pod.spec = { ...pod.spec, nodeName: targetNode };
    const status = (pod.status ?? {}) as { conditions?: { type: string }[] };
    const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    conditions.push({
      type: 'PodScheduled',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: timestamp(ctx.clock()),
    } as { type: string });
    pod.status = { ...status, conditions };
    return pod;
  });
  sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

export async function handleNamespaceFinalize(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  info: ResourceRequest,
  r: ResourceInfo,
): Promise<void> {
  const body = expectKind(await readObject(req), r);
  const finalizers = (body.spec as { finalizers?: unknown } | undefined)?.finalizers ?? [];
  if (!Array.isArray(finalizers) || finalizers.some((f) => typeof f !== 'string')) {
    throw errors.badRequest('spec.finalizers must be a list of strings');
  }
  const result = await systemUpdate(ctx, r, info.name!, undefined, (current) => {
    const ns = clone(current.obj);
    ns.spec = { ...ns.spec, finalizers };
    return ns;
  });
  sendJson(res, 200, result);
}

/**
 * pods/eviction (what `kubectl drain` posts): a delete that honours disruption budgets. Flotilla
 * serves no PodDisruptionBudgets yet, so every eviction is allowed and becomes a graceful delete
 * with the Eviction's deleteOptions.
 */
export async function handleEviction(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  info: ResourceRequest,
  r: ResourceInfo,
): Promise<void> {
  const body = await readObject(req);
  const apiVersion =
    isPlainObject(body) && body.apiVersion === 'policy/v1beta1' ? 'policy/v1beta1' : 'policy/v1';
  const eviction = expectKind(body, r, 'Eviction', apiVersion);
  const name = info.name!;
  if (eviction.metadata?.name && eviction.metadata.name !== name) {
    throw errors.badRequest(`name in URL does not match name in Eviction object`);
  }
  const deleteOptions = isPlainObject(eviction.deleteOptions) ? eviction.deleteOptions : {};
  await deleteObject(ctx, r, name, info.namespace, parseDeleteOptions(deleteOptions, info.query));
  sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}
