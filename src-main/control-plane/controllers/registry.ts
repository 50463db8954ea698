// Every controller the manager can run, by name (the names `--controllers` takes, as in Kubernetes).
// Adding a controller is one line here and a folder beside this file.
import type { ControllerContext } from './framework/context';
import type { Controller } from './framework/controller';
import { createDeploymentController } from './deployment/controller';
import { createReplicaSetController } from './replicaset/controller';

export type ControllerFactory = (ctx: ControllerContext) => Controller;

export const CONTROLLER_REGISTRY: Readonly<Record<string, ControllerFactory>> = {
  replicaset: createReplicaSetController,
  deployment: createDeploymentController,
};
