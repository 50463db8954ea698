// The local Docker engine as a node: enroll (`addDockerNode`), remove (`removeDockerNode`), side-load
// images (`loadImage`), keep agents running (`startDockerNodeWatchdog`).
export { addDockerNode, defaultNodeName } from './add-node';
export type { DockerNodeOptions } from './add-node';
export { removeDockerNode } from './remove-node';
export type { RemoveDockerNodeOptions } from './remove-node';
export { loadImage } from './image-load';
export type { ImageLoadOptions, ImageLoadResult } from './image-load';
export { EnrollmentError } from './errors';
export type { EnrollmentErrorCode } from './errors';
export { startDockerNodeWatchdog } from './watchdog';
