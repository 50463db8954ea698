// Every controller the manager can run, by name (the names `--controllers` takes, as in Kubernetes).
// Adding a controller is one line here and a folder beside this file.
import { createCsrSigningController } from './csrsigning';
import { createDaemonSetController } from './daemonset';
import { createDeploymentController } from './deployment/controller';
import { createEndpointsController } from './endpoints';
import { createEndpointSliceController } from './endpointslice';
import { createEventTtlController } from './eventttl';
import type { ControllerContext } from './framework/context';
import type { Controller } from './framework/controller';
import { createGarbageCollector } from './garbagecollector';
import { createNamespaceController } from './namespace';
import { createNodeIpamController } from './nodeipam';
import { createNodeLifecycleController } from './nodelifecycle';
import { createReplicaSetController } from './replicaset/controller';

export type ControllerFactory = (ctx: ControllerContext) => Controller;

export const CONTROLLER_REGISTRY: Readonly<Record<string, ControllerFactory>> = {
  replicaset: createReplicaSetController,
  deployment: createDeploymentController,
  daemonset: createDaemonSetController,
  garbagecollector: (ctx) => createGarbageCollector(ctx),
  namespace: (ctx) => createNamespaceController(ctx),
  nodelifecycle: (ctx) => createNodeLifecycleController(ctx),
  nodeipam: (ctx) => createNodeIpamController(ctx),
  endpoints: createEndpointsController,
  endpointslice: (ctx) => createEndpointSliceController(ctx),
  eventttl: (ctx) => createEventTtlController(ctx),
  csrsigning: (ctx) => createCsrSigningController(ctx),
};
