export { createNodeLifecycleController, NODE_CONTROLLER } from './controller';
export type { NodeLifecycleOptions } from './controller';
export { DESKTOP_NODE_LIFECYCLE, KUBERNETES_NODE_LIFECYCLE, NODE_LIFECYCLE_PRESETS } from './settings';
export type { NodeLifecyclePreset, NodeLifecycleSettings } from './settings';
