// The scheduler's public surface: how the control plane starts it and how the UI asks it why.
export { startScheduler, COMPONENT } from './scheduler';
export type { Scheduler, SchedulerOptions, SchedulerStats } from './scheduler';
export { lastDecision } from './decisions';
export type { SchedulingDecision, NodeVerdict } from './decisions';
export { DEFAULT_PLUGINS } from './plugins/registry';
export type { PluginFactory, Plugin, ExtensionPoint } from './framework/types';
