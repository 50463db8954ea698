export { nodeResourcesFit, fitReasons } from './fit';
export { nodeResourcesBalancedAllocation } from './balanced-allocation';
