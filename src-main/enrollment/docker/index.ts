// The local Docker engine as a node: the enrollment steps (./add-node, driven by the enrollment
// controller for Machines of type docker), removal (`teardownDockerNode`; `removeDockerNode` for nodes
// without a Machine), side-loading images (`loadImage`), keeping agents running (`startDockerNodeWatchdog`).
export { checkNameAndEngine, defaultNodeName, startNodeAgent, waitForReady } from './add-node';
export type { DockerNodeOptions } from './add-node';
export { removeDockerNode, teardownDockerNode } from './remove-node';
export type { RemoveDockerNodeOptions } from './remove-node';
export { loadImage } from './image-load';
export type { ImageLoadOptions, ImageLoadResult } from './image-load';
export { EnrollmentError } from './errors';
export type { EnrollmentErrorCode } from './errors';
export { startDockerNodeWatchdog } from './watchdog';
