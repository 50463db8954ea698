// Makes a hollow node's containers take time to start: the pod status report (Running and Ready)
// is held back, so a rolling update has to wait for each new pod as it would for real containers.
import type { KubeApi } from '../../src-main/shared/kube/types';

/** Wraps an API client so pod status writes land `delayMs()` later; everything else passes through. */
export function withPodStartDelay(api: KubeApi, delayMs: () => number): KubeApi {
  const patch: KubeApi['patch'] = async (r, name, namespace, body, type, subresource) => {
    if (r.group === '' && r.plural === 'pods' && subresource === 'status')
      await new Promise((resolve) => setTimeout(resolve, delayMs()));
    return api.patch(r, name, namespace, body, type, subresource);
  };
  return new Proxy(api, {
    get: (target, prop, receiver) => (prop === 'patch' ? patch : Reflect.get(target, prop, receiver)),
  });
}
