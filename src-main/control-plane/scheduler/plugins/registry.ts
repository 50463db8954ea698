// Every scheduler plugin, in the default profile's order (filters run in this order and a node's
// first failing filter is the reason reported for it). Adding a plugin: a folder under plugins/
// with a name and a factory, and a line here.
import type { PluginFactory } from '../framework/types';
import { defaultBinder } from './defaultbinder';
import { defaultPreemption } from './defaultpreemption';
import { nodeAffinity } from './nodeaffinity';
import { nodeName } from './nodename';
import { nodePorts } from './nodeports';
import { nodeResourcesBalancedAllocation, nodeResourcesFit } from './noderesources';
import { nodeUnschedulable } from './nodeunschedulable';
import { podTopologySpread } from './podtopologyspread';
import { prioritySort } from './queuesort';
import { taintToleration } from './tainttoleration';

export const DEFAULT_PLUGINS: readonly PluginFactory[] = [
  prioritySort,
  nodeUnschedulable,
  nodeName,
  taintToleration,
  nodeAffinity,
  nodePorts,
  nodeResourcesFit,
  podTopologySpread,
  nodeResourcesBalancedAllocation,
  defaultPreemption,
  defaultBinder,
];

export function pluginByName(name: string): PluginFactory | undefined {
  return DEFAULT_PLUGINS.find((p) => p.name === name);
}
