// An API client that outlives a control plane restart. Kubelets (and hollow nodes) keep running while
// the control plane goes away and comes back, possibly on another port with a rewritten kubeconfig:
// `reconnect()` re-reads the kubeconfig and routes every later request, watch and retry through a new
// transport. Requests already in flight on the old one fail as they would on a real network.
import { loadKubeconfig } from '../../src-main/control-plane/client/kubeconfig';
import { createKubeApi } from '../../src-main/shared/kube/client';
import type { KubeApi, Transport } from '../../src-main/shared/kube/types';
import { createNodeTransport } from '../../src-main/shared/node/https-transport';
import type { NodeTransport } from '../../src-main/shared/node/https-transport';

export interface SwappableClient {
  api: KubeApi;
  /** Connects to what the kubeconfig now says (the old transport's sockets are closed). */
  reconnect(kubeconfigPath?: string): Promise<void>;
  close(): void;
}

export async function connectSwappable(kubeconfigPath: string): Promise<SwappableClient> {
  let path = kubeconfigPath;
  const open = async () => createNodeTransport(await loadKubeconfig(path));
  let current: NodeTransport = await open();
  const transport: Transport = {
    request: (req) => current.request(req),
    stream: (req, onLine, options) => current.stream(req, onLine, options),
  };
  return {
    api: createKubeApi(transport),
    async reconnect(next) {
      if (next) path = next;
      const old = current;
      current = await open();
      old.close();
    },
    close() {
      current.close();
    },
  };
}
