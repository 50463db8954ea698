// Objects every cluster has from its first start: the system namespaces. Created through the same
// create path as any client's request (defaults, validation), by the API server itself.
import type { ResourceInfo } from '../../shared/resources';
import { isApiError } from './errors';
import type { RestContext } from './rest/context';
import { createObject } from './rest/write';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function ensureSystemNamespaces(ctx: RestContext): Promise<void> {
  const r = ctx.resources.find((x) => x.group === '' && x.plural === 'namespaces') as ResourceInfo;
  const strategy = ctx.strategy(r);
  for (const name of SYSTEM_NAMESPACES) {
    try {
      await createObject(
        ctx,
        r,
        strategy,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
        undefined,
        'Strict',
        false,
      );
      ctx.log.info(`created namespace ${name}`);
    } catch (err) {
      if (!(isApiError(err) && err.reason === 'AlreadyExists')) throw err;
    }
  }
}
