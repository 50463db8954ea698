// Routes a resource request to its verb handler. The same generic handlers serve every kind; what
// differs between kinds lives in their strategies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceInfo } from '../../../shared/resources';
import { errors } from '../errors';
import type { ResourceRequest } from '../request-info';
import type { RestContext } from './context';
import { handleGet, handleList } from './read';
import { selectorPredicate } from './selectors';
import { handleBinding, handleEviction, handleNamespaceFinalize, handleScale } from './subresources';
import { handleWatch } from './watch';
import { handleCreate, handleDelete, handleDeleteCollection, handlePatch, handleUpdate } from './write';

export function findResource(ctx: RestContext, info: ResourceRequest): ResourceInfo | undefined {
  return ctx.resources.find(
    (r) => r.group === info.group && r.version === info.version && r.plural === info.resource,
  );
}

export async function handleResource(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  info: ResourceRequest,
): Promise<void> {
  const r = findResource(ctx, info);
  if (!r) throw errors.notFoundPath(info.path);
  if (r.namespaced && info.namespace === undefined && info.name !== undefined)
    throw errors.notFoundPath(info.path);
  if (!r.namespaced && info.namespace !== undefined) throw errors.notFoundPath(info.path);
  const strategy = ctx.strategy(r);
  const sub = info.subresource;

  if (sub === undefined) {
    switch (info.verb) {
      case 'get':
        return handleGet(ctx, req, res, info, r, strategy);
      case 'list':
        return handleList(ctx, req, res, info, r, strategy);
      case 'watch':
        return handleWatch(ctx, req, res, info, r, strategy);
      case 'create':
        if (info.name !== undefined) throw errors.methodNotAllowed();
        if (r.namespaced && info.namespace === undefined)
          throw errors.methodNotAllowed('create requires a namespace in the path');
        return handleCreate(ctx, req, res, info, r, strategy);
      case 'update':
        return handleUpdate(ctx, req, res, info, r, strategy, 'main');
      case 'patch':
        return handlePatch(ctx, req, res, info, r, strategy, 'main');
      case 'delete':
        return handleDelete(ctx, req, res, info, r);
      case 'deletecollection':
        return handleDeleteCollection(ctx, req, res, info, r, selectorPredicate(strategy, info.query));
    }
  }

  if (
    !(r.subresources as string[] | undefined)?.includes(sub) &&
    !(sub === 'finalize' && r.plural === 'namespaces')
  ) {
    throw errors.notFoundPath(info.path);
  }
  switch (sub) {
    case 'status':
    case 'approval':
      if (info.verb === 'get') return handleGet(ctx, req, res, info, r, strategy);
      if (info.verb === 'update') return handleUpdate(ctx, req, res, info, r, strategy, sub);
      if (info.verb === 'patch') return handlePatch(ctx, req, res, info, r, strategy, sub);
      break;
    case 'scale':
      if (info.verb === 'get' || info.verb === 'update' || info.verb === 'patch') {
        return handleScale(ctx, req, res, info, r, strategy);
      }
      break;
    case 'binding':
      if (info.verb === 'create') return handleBinding(ctx, req, res, info, r);
      break;
    case 'finalize':
      if (info.verb === 'update') return handleNamespaceFinalize(ctx, req, res, info, r);
      break;
    case 'eviction':
      if (info.verb === 'create') return handleEviction(ctx, req, res, info, r);
      break;
    default:
      throw errors.unavailable(
        `${r.plural}/${sub} is served by the node agent, which is not available in this build yet`,
      );
  }
  throw errors.methodNotAllowed();
}
