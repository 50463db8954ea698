// Create-or-patch of one manifest object over the transport, with server-side dry run. Existing
// objects get a strategic merge patch of the manifest (what `kubectl apply` sends for built-in kinds,
// minus the last-applied bookkeeping); new ones are created. Unknown fields are errors (Strict).
import { collectionPath, objectPath } from '../../../src-main/shared/resources';
import type { KubeRequest, KubeResponse, Transport } from '../../../src-main/shared/kube/types';
import { KubeApiError } from '../../../src-main/shared/kube/types';
import type { Applier, ApplyAction } from '../features/apply/apply-flow';
import type { ManifestObject } from '../features/apply/manifest';
import { toStatus } from './transport';

export const FIELD_MANAGER = 'flotilla-ui';

async function call(transport: Transport, req: KubeRequest, okCodes: number[] = []): Promise<KubeResponse> {
  const res = await transport.request(req);
  if ((res.status >= 200 && res.status < 300) || okCodes.includes(res.status)) return res;
  throw new KubeApiError(res.status, toStatus(res.status, res.body, `HTTP ${res.status}`));
}

export function createApplier(transport: Transport): Applier {
  return {
    async apply(obj: ManifestObject, dryRun: boolean): Promise<ApplyAction> {
      const query = {
        fieldManager: FIELD_MANAGER,
        fieldValidation: 'Strict',
        ...(dryRun ? { dryRun: 'All' } : {}),
      };
      const existing = await call(
        transport,
        { method: 'GET', path: objectPath(obj.resource, obj.name, obj.namespace) },
        [404],
      );
      if (existing.status === 404) {
        await call(transport, {
          method: 'POST',
          path: collectionPath(obj.resource, obj.namespace),
          query,
          body: {
            ...obj.object,
            metadata: { ...obj.object.metadata, ...(obj.namespace ? { namespace: obj.namespace } : {}) },
          },
        });
        return 'created';
      }
      const before = (existing.body as { metadata?: { resourceVersion?: string } } | undefined)?.metadata
        ?.resourceVersion;
      const patched = await call(transport, {
        method: 'PATCH',
        path: objectPath(obj.resource, obj.name, obj.namespace),
        query,
        contentType: 'application/strategic-merge-patch+json',
        body: obj.object,
      });
      const after = (patched.body as { metadata?: { resourceVersion?: string } } | undefined)?.metadata
        ?.resourceVersion;
      // A dry run cannot tell whether anything would change; a real write can.
      return !dryRun && before !== undefined && before === after ? 'unchanged' : 'configured';
    },
  };
}
