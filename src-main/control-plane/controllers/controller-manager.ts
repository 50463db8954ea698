// The kube-controller-manager role: builds the shared informers and event recorders once, starts the
// selected controllers on them and returns one handle that stops everything. The control plane runs
// it in-process with a client that talks HTTPS to its own API server; controllers never see the store.
import { hostname } from 'node:os';
import type { Logger } from '../../platform/logger';
import { createEventRecorder } from '../../shared/kube/events';
import type { EventRecorderHandle } from '../../shared/kube/events';
import type { KubeApi } from '../../shared/kube/types';
import { realClock } from '../workqueue/clock';
import type { Clock } from '../workqueue/clock';
import type { ControllerContext } from './framework/context';
import type { ControllerHandle } from './framework/controller';
import { createSharedInformerFactory } from './framework/informer-factory';
import type { SharedInformerFactory } from './framework/informer-factory';
import { CONTROLLER_REGISTRY } from './registry';
import type { ControllerFactory } from './registry';
import type { CertificateSigner } from './csrsigning/signer';

export interface ControllerManagerOptions {
  api: KubeApi;
  log: Logger;
  /** Which controllers to run (default: all in the registry). */
  controllers?: string[];
  /** Extra or replacement factories (tests, controllers registered by other modules). */
  registry?: Record<string, ControllerFactory>;
  workers?: number;
  clock?: Clock;
  /** Shown as the events' source host and reporting instance (default: this machine's name). */
  host?: string;
  /** Signs approved certificate requests (the csrsigning controller); without it they are not issued. */
  clusterSigner?: CertificateSigner;
}

export interface ControllerManager {
  informers: SharedInformerFactory;
  /** The names of the controllers running. */
  controllers: string[];
  /** Stops every controller and informer and flushes pending events. */
  stop(): Promise<void>;
}

export async function startControllerManager(options: ControllerManagerOptions): Promise<ControllerManager> {
  const log = options.log.child('controller-manager');
  const registry = { ...CONTROLLER_REGISTRY, ...options.registry };
  const names = options.controllers ?? Object.keys(registry);
  for (const n of names)
    if (!registry[n])
      throw new Error(`unknown controller "${n}" (known: ${Object.keys(registry).join(', ')})`);

  const informers = createSharedInformerFactory(options.api, { log: log.child('informers') });
  const recorders = new Map<string, EventRecorderHandle>();
  const host = options.host ?? hostname();
  const ctx: ControllerContext = {
    api: options.api,
    informers,
    log: options.log,
    clock: options.clock ?? realClock,
    ...(options.workers ? { workers: options.workers } : {}),
    ...(options.clusterSigner ? { clusterSigner: options.clusterSigner } : {}),
    recorder(component) {
      let r = recorders.get(component);
      if (!r) {
        r = createEventRecorder(options.api, { component, host, log: options.log.child(component) });
        recorders.set(component, r);
      }
      return r;
    },
  };

  // Build every controller first so all register their informers and handlers before any list runs.
  const controllers = names.map((n) => (registry[n] as ControllerFactory)(ctx));
  const handles: ControllerHandle[] = [];
  try {
    for (const c of controllers) handles.push(await c.start());
  } catch (err) {
    informers.stop();
    await Promise.all(handles.map((h) => h.stopAndWait()));
    throw err;
  }
  log.info('controllers running', { controllers: names.join(',') });

  let stopping: Promise<void> | undefined;
  return {
    informers,
    controllers: names,
    stop() {
      stopping ??= (async () => {
        informers.stop();
        await Promise.all(handles.map((h) => h.stopAndWait()));
        await Promise.all([...recorders.values()].map((r) => r.flush()));
      })();
      return stopping;
    },
  };
}
