// The app's pages. The navigation shows exactly these names, in this order.
import type { RouteRecordRaw } from 'vue-router';

export interface NavItem {
  name: string;
  path: string;
  icon: string;
  description: string;
}

export const NAV: readonly NavItem[] = [
  { name: 'Overview', path: '/overview', icon: 'overview', description: 'Cluster health at a glance' },
  { name: 'Nodes', path: '/nodes', icon: 'nodes', description: 'The machines that run your pods' },
  { name: 'Pods', path: '/pods', icon: 'pods', description: 'Every pod, its status, node and IP' },
  {
    name: 'Workloads',
    path: '/workloads',
    icon: 'workloads',
    description: 'Deployments, ReplicaSets and DaemonSets',
  },
  { name: 'Services', path: '/services', icon: 'services', description: 'Stable addresses in front of pods' },
  {
    name: 'Activity',
    path: '/activity',
    icon: 'activity',
    description: 'What the scheduler and controllers did',
  },
  { name: 'Apply', path: '/apply', icon: 'apply', description: 'Create or change objects from YAML or JSON' },
  {
    name: 'Machines',
    path: '/machines',
    icon: 'machines',
    description: 'Hosts that join the cluster as nodes',
  },
  { name: 'Settings', path: '/settings', icon: 'settings', description: 'Connection, appearance and tools' },
];

export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/overview' },
  {
    path: '/login',
    name: 'Login',
    component: () => import('../features/login/LoginView.vue'),
    meta: { public: true },
  },
  { path: '/overview', name: 'Overview', component: () => import('../features/overview/OverviewView.vue') },
  { path: '/nodes', name: 'Nodes', component: () => import('../features/nodes/NodesView.vue') },
  {
    path: '/nodes/:name',
    name: 'Node',
    component: () => import('../features/nodes/NodeDetailView.vue'),
    props: true,
  },
  { path: '/pods', name: 'Pods', component: () => import('../features/pods/PodsView.vue') },
  {
    path: '/pods/:namespace/:name',
    name: 'Pod',
    component: () => import('../features/pods/PodDetailView.vue'),
    props: true,
  },
  {
    path: '/workloads',
    name: 'Workloads',
    component: () => import('../features/workloads/WorkloadsView.vue'),
  },
  {
    path: '/workloads/deployments/:namespace/:name',
    name: 'Deployment',
    component: () => import('../features/workloads/DeploymentDetailView.vue'),
    props: true,
  },
  { path: '/services', name: 'Services', component: () => import('../features/services/ServicesView.vue') },
  { path: '/activity', name: 'Activity', component: () => import('../features/activity/ActivityView.vue') },
  { path: '/apply', name: 'Apply', component: () => import('../features/apply/ApplyView.vue') },
  { path: '/machines', name: 'Machines', component: () => import('../features/machines/MachinesView.vue') },
  {
    path: '/machines/add',
    name: 'AddMachine',
    component: () => import('../features/machines/AddMachineView.vue'),
  },
  {
    path: '/machines/:name',
    name: 'Machine',
    component: () => import('../features/machines/MachineDetailView.vue'),
    props: true,
  },
  { path: '/settings', name: 'Settings', component: () => import('../features/settings/SettingsView.vue') },
  { path: '/:rest(.*)*', redirect: '/overview' },
];
