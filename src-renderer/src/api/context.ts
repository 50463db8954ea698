// The one API context of the app: transport, typed client and the shared informer registry. Stores
// reach it through `apiContext()`; tests install their own with `setApiContext()`.
import { createKubeApi } from '../../../src-main/shared/kube/client';
import { createInformer } from '../../../src-main/shared/kube/informer';
import type { KubeApi, Transport } from '../../../src-main/shared/kube/types';
import { createInformerRegistry } from './informer-registry';
import type { InformerRegistry } from './informer-registry';
import { readSession } from './session';
import { createFetchTransport } from './transport';

export interface ApiContext {
  transport: Transport;
  api: KubeApi;
  informers: InformerRegistry;
}

let current: ApiContext | undefined;
const unauthorizedListeners = new Set<() => void>();

/** Subscribes to "the server said 401" (the session ended or the server restarted). */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export function createBrowserApiContext(): ApiContext {
  const transport = createFetchTransport({
    token: () => readSession()?.token,
    onUnauthorized: () => unauthorizedListeners.forEach((l) => l()),
  });
  const api = createKubeApi(transport);
  const informers = createInformerRegistry((resource) => createInformer(api, resource));
  return { transport, api, informers };
}

export function apiContext(): ApiContext {
  current ??= createBrowserApiContext();
  return current;
}

export function setApiContext(ctx: ApiContext | undefined): void {
  current?.informers.stopAll();
  current = ctx;
}
