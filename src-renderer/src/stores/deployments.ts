// Live deployments, shared by every view that shows them (one list+watch for the whole app).
import type { Deployment } from '../lib/kube-types';
import { R } from '../lib/resources';
import { defineResourceStore } from './define-resource-store';

export const useDeploymentsStore = defineResourceStore<Deployment>('deployments', R.deployments);
