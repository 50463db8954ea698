export {
  createNodeIpamController,
  NODE_IPAM_CONTROLLER,
  DEFAULT_CLUSTER_CIDR,
  DEFAULT_NODE_CIDR_MASK_SIZE,
} from './controller';
export type { NodeIpamOptions } from './controller';
