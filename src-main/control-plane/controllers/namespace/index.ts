export { createNamespaceController, NAMESPACE_CONTROLLER, KUBERNETES_FINALIZER } from './controller';
export type { NamespaceControllerOptions } from './controller';
