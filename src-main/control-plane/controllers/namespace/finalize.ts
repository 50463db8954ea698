// PUT /api/v1/namespaces/NAME/finalize. The shared KubeApi has no "replace a subresource" call yet, so
// this borrows `update` with a resource whose collection path is the namespace itself: objectPath of
// ("namespaces/NAME", "finalize") is exactly the finalize URL. The server reads only kind, apiVersion
// and spec.finalizers from the body.
// TODO(framework): replace with `api.replaceSubresource(NAMESPACES, name, undefined, 'finalize', body)`
// once KubeApi has it.
import type { KubeApi } from '../../../shared/kube/types';
import type { ResourceInfo } from '../../../shared/resources';
import { NAMESPACES } from '../framework/resources';

export type FinalizeNamespace = (name: string, finalizers: string[]) => Promise<void>;

export function finalizeThroughApi(api: KubeApi): FinalizeNamespace {
  return async (name, finalizers) => {
    const finalizeParent: ResourceInfo = { ...NAMESPACES, plural: `namespaces/${encodeURIComponent(name)}` };
    await api.update(finalizeParent, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'finalize' },
      spec: { finalizers },
    });
  };
}
